"""The slips PDF reports its progress, so that it can run as a background job."""

from scoring.codes import documents


def test_the_slips_pdf_reports_each_slip_drawn_up_to_the_total(scored):
    issued = scored.leader_codes + scored.delegate_codes
    calls = []
    pdf = documents.code_slips_pdf(
        scored.session, issued, "http://t", progress=lambda d, t: calls.append((d, t))
    )
    assert pdf.startswith(b"%PDF")
    assert calls == [
        (n, len(issued)) for n in range(1, len(issued) + 1)
    ]  # 12 slips: every one is 1 % or more


def test_the_slips_pdf_needs_no_progress_callback(scored):
    assert documents.code_slips_pdf(scored.session, scored.leader_codes, "http://t").startswith(b"%PDF")
