from django.urls import reverse


def test_a_submit_takes_a_small_fixed_number_of_queries(scored, client, django_assert_max_num_queries):
    url = reverse("vote:submit", args=[scored.leader_codes[0].token])
    # 9 for the ballot, 1 for the throttle (the ballot allows its address one more mistyped code).
    with django_assert_max_num_queries(10):
        response = client.post(url, scored.form_data())
    assert response.status_code == 200
