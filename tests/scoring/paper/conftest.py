"""Forms to scan: plain FormSpecs (no database, rendered once per module) and helpers to read them."""

import pytest

from scoring.paper.scan.layout import FormSpec, Item, Reporter, layout_build

ITEMS = (
    "总体评价",
    "对抓基层党建工作的认识熟悉程度",
    "履行抓基层党建工作责任情况",
    "推动重点任务落实情况及成效",
    "查摆抓基层党建工作中存在问题",
    "下一步抓好基层党建工作的思路措施",
)
SESSION_ID = 41
GROUP_ID = 7


def spec(reporters: int = 4, items: int = 6, mode: str = "item_grade", **extra) -> FormSpec:
    return FormSpec(
        session_id=extra.pop("session_id", SESSION_ID),
        group_id=extra.pop("group_id", GROUP_ID),
        mode=mode,
        reporters=tuple(
            Reporter(500 + i, i, f"中共第{i}村党支部委员会", "王建国") for i in range(1, reporters + 1)
        ),
        items=tuple(
            Item(900 + i, ITEMS[i % len(ITEMS)]) for i in range(items if mode == "item_grade" else 1)
        ),
        title="石匣乡村党组织书记述职评议会测评表",
        group_name="党员群众代表",
        session_date="2026年1月16日",
        **extra,
    )


@pytest.fixture(scope="module")
def small_form():
    """One page: 4 reporters × 6 items."""
    return layout_build(spec())


@pytest.fixture(scope="module")
def two_page_form():
    """Two pages: 20 reporters × 6 items."""
    return layout_build(spec(reporters=20))


@pytest.fixture(scope="module")
def grade_form():
    """One grade per reporter, portrait."""
    return layout_build(spec(reporters=5, mode="grade"))


from tests.scoring.paper.scanned import scan_storage  # noqa: E402, F401  (a fixture for the scan pages)
