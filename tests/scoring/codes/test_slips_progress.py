"""The slips PDF reports its progress, so that it can run as a background job."""

from scoring.codes import documents


def test_the_slips_pdf_reports_each_slip_drawn_then_rendered_up_to_the_total(scored):
    issued = scored.leader_codes + scored.delegate_codes
    calls = []
    pdf = documents.code_slips_pdf(
        scored.session, issued, "http://t", progress=lambda d, t: calls.append((d, t))
    )
    assert pdf.startswith(b"%PDF")
    # 12 slips, one piece: a slip is a quarter done when its QR code is drawn (every 1 % is told), whole
    # when its piece is rendered.
    assert calls == [(1, 12), (2, 12), (3, 12), (12, 12)]


def test_the_slips_pdf_needs_no_progress_callback(scored):
    assert documents.code_slips_pdf(scored.session, scored.leader_codes, "http://t").startswith(b"%PDF")
