"""The console's administration over real HTTP (cookies, forms, CSRF) against the real app:
staff, units, catalog leaves, calendar overrides, and the audit log every change writes."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.db import session_scope
from core.settings import Settings
from models.admin_audit import AdminAction, AdminChange, AdminEntity, record_change
from models.calendar_override import CalendarOverride
from models.enums import StaffRole, UnitKind
from models.staff import StaffUser
from models.unit import Category, Unit
from tests.utils.staff import (
    CHAOYANG,
    PASSWORD,
    StaffAccount,
    bearer,
    console_login,
    csrf_of,
    make_staff,
)
from workflows.activities import CaseActivities
from workflows.calendar import WorkingCalendar
from workflows.types import DeadlineRequest, Policy

STREET = "110101003"  # 交道口街道: edited here and put back
LEAF = "01.02.008"  # 冬季采暖, a utility leaf with its own deadlines
# Every admin page, and every admin action with a form that would change something.
PAGES = [
    "/console/admin",
    "/console/admin/units",
    f"/console/admin/units/{STREET}",
    "/console/admin/catalog",
    f"/console/admin/catalog/{LEAF}",
    "/console/admin/holidays",
    "/console/admin/audit",
]
ACTIONS = [
    ("/console/admin/staff", {"username": "x-intruder", "role": "admin", "password": PASSWORD}),
    ("/console/admin/staff/{admin}/active", {"active": "no"}),
    ("/console/admin/staff/{admin}/password", {"password": "stolen-password"}),
    (f"/console/admin/units/{STREET}", {"name_zh": "改名", "kind": "street", "active": "yes"}),
    (f"/console/admin/units/{STREET}/delete", {}),
    (f"/console/admin/catalog/{LEAF}", {"name_zh": "改名", "name_en": "x", "active": "yes"}),
    ("/console/admin/holidays", {"day": "2030-01-02", "kind": "holiday", "name": "x"}),
    ("/console/admin/holidays/2030-01-02/delete", {}),
]
# A server path anywhere on a page (the holiday file's, a checkout's, a virtualenv's).
SERVER_PATH = re.compile(r"(/work/|/home/|/usr/|/tmp/|site-packages|holidays_cn\.csv|\.py\b)")


def _changes(engine: Engine, key: str) -> list[AdminChange]:
    with Session(engine) as session:
        query = select(AdminChange).where(AdminChange.key == key).order_by(col(AdminChange.id))
        return list(session.exec(query).all())


def _post(client: httpx.Client, page: str, action: str, **fields: str) -> httpx.Response:
    token = csrf_of(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **fields})


def _user(engine: Engine, username: str) -> StaffUser:
    with Session(engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).one()
    return user


def _new_username() -> str:
    return f"new-{uuid.uuid4().hex[:8]}"


# ---- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "unit"),
    [
        (StaffRole.supervisor, None),
        (StaffRole.dispatcher, None),
        (StaffRole.operator, None),
        (StaffRole.unit_handler, CHAOYANG),
    ],
)
def test_no_other_role_reaches_an_admin_page_or_action(
    api_url: str, engine: Engine, role: StaffRole, unit: str | None
) -> None:
    admin = make_staff(engine, StaffRole.admin)
    before = len(_changes(engine, admin.username))
    with console_login(api_url, make_staff(engine, role, unit)) as client:
        for page in PAGES:
            assert client.get(page).status_code == 403, page
        token = csrf_of(client.get("/console/cases").text)
        for action, fields in ACTIONS:
            path = action.format(admin=admin.username)
            answer = client.post(path, data={"csrf_token": token, **fields})
            assert answer.status_code == 403, path
    assert _user(engine, admin.username).active
    assert len(_changes(engine, admin.username)) == before
    assert _changes(engine, "x-intruder") == []


def test_a_logged_out_visitor_is_sent_to_the_login_page(api_url: str, engine: Engine) -> None:
    with httpx.Client(base_url=api_url, timeout=60) as client:
        for page in PAGES:
            answer = client.get(page)
            assert answer.status_code == 303 and answer.headers["location"] == "/console/login"
        for action, fields in ACTIONS:
            answer = client.post(action.format(admin="admin"), data=fields)
            assert answer.status_code == 303, action


def test_an_admin_form_without_its_csrf_token_is_refused_and_changes_nothing(
    api_url: str, engine: Engine
) -> None:
    admin = make_staff(engine, StaffRole.admin)
    victim = make_staff(engine, StaffRole.dispatcher)
    username = _new_username()
    with console_login(api_url, admin) as client:
        added = client.post(
            "/console/admin/staff",
            data={"username": username, "role": "dispatcher", "password": PASSWORD},
        )
        disabled = client.post(
            f"/console/admin/staff/{victim.username}/active",
            data={"active": "no", "csrf_token": "forged"},
        )
    assert (added.status_code, disabled.status_code) == (403, 403)
    assert _user(engine, victim.username).active
    assert _changes(engine, username) == [] and _changes(engine, victim.username) == []


def test_the_admin_pages_show_no_server_path(api_url: str, engine: Engine) -> None:
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        for page in PAGES:
            for lang in ("zh", "en"):
                answer = client.get(page, params={"lang": lang})
                assert answer.status_code == 200, page
                found = SERVER_PATH.search(answer.text)
                assert found is None, f"{page} shows {found.group(0) if found else ''}"
        holidays = client.get("/console/admin/holidays", params={"lang": "zh"}).text
    next_year = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).year + 1
    assert f"{next_year} 年：" in holidays  # where next year's days come from, in words
    assert f"<td>{next_year}-10-01</td><td>休息日</td>" in holidays


def test_an_unknown_unit_or_leaf_is_a_clear_404(api_url: str, engine: Engine) -> None:
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        unit = client.get("/console/admin/units/nowhere")
        area = client.get("/console/admin/catalog/01")  # a level-1 area, not a leaf
        page = client.get("/console/admin/audit", params={"page": -3})
    assert unit.status_code == 404 and "没有编码为 nowhere 的单位" in unit.text
    assert area.status_code == 404 and "没有编码为 01 的末级分类" in area.text
    assert page.status_code == 200  # a page out of range shows the nearest one


def test_units_and_leaves_are_found_by_a_part_of_their_code_or_name(
    api_url: str, engine: Engine
) -> None:
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        units = client.get("/console/admin/units", params={"q": "朝阳区"}).text
        leaves = client.get("/console/admin/catalog", params={"q": "heating"}).text
        nothing = client.get("/console/admin/units", params={"q": "%_no such unit_%"})
    assert f"/console/admin/units/{CHAOYANG}" in units
    assert "/console/admin/units/110108" not in units  # 海淀区 is not 朝阳区
    assert "/console/admin/catalog/" in leaves and "冬季采暖" in leaves
    assert nothing.status_code == 200 and "/console/admin/units/1" not in nothing.text


# ---- staff --------------------------------------------------------------------------------


def test_an_admin_adds_a_unit_handler_with_a_generated_password_shown_once(
    api_url: str, engine: Engine
) -> None:
    admin = make_staff(engine, StaffRole.admin)
    username = _new_username()
    with console_login(api_url, admin) as client:
        answer = _post(
            client,
            "/console/admin",
            "/console/admin/staff",
            username=username,
            display_name="王芳",
            role="unit_handler",
            unit_code=CHAOYANG,
            password="",
        )
        assert answer.status_code == 200
        found = re.search(r'<code id="new-password">([^<]+)</code>', answer.text)
        assert found, answer.text
        password = found.group(1)
        again = client.get("/console/admin").text
        assert password not in again  # shown on the answer only
    user = _user(engine, username)
    assert (user.role, user.unit_code, user.display_name) == ("unit_handler", CHAOYANG, "王芳")
    [change] = _changes(engine, username)
    assert (change.actor, change.entity, change.action) == (admin.username, "staff", "added")
    assert change.after["unit_code"] == CHAOYANG and change.before == {}
    assert password not in str(change.after) and "password" not in str(change.after)
    account = StaffAccount(username, password, StaffRole.unit_handler, CHAOYANG)
    with console_login(api_url, account) as own:
        assert "王芳" in own.get("/console/cases").text  # their name, as logged in


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"role": "unit_handler", "unit_code": ""}, "unit_code", "承办人员必须属于一个单位"),
        ({"role": "unit_handler", "unit_code": "999999"}, "unit_code", "没有编码为 999999"),
        ({"role": "dispatcher", "unit_code": CHAOYANG}, "unit_code", "只有承办人员属于单位"),
        ({"role": "wizard"}, "role", "请选择角色"),
        ({"username": "A B"}, "username", "2 到 64 个字符"),
        ({"password": "short"}, "password", "至少 8 个字符"),
    ],
)
def test_a_wrong_staff_form_says_what_is_wrong_next_to_the_field_and_adds_no_one(
    api_url: str, engine: Engine, fields: dict[str, str], field: str, message: str
) -> None:
    username = _new_username()
    form = {"username": username, "role": "dispatcher", "password": PASSWORD, **fields}
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        answer = _post(client, "/console/admin", "/console/admin/staff", **form)
    assert answer.status_code == 422
    error = re.search(rf'id="error-{field}">([^<]+)<', answer.text)
    assert error and message in error.group(1), answer.text
    with Session(engine) as session:
        assert session.exec(select(StaffUser).where(StaffUser.username == username)).first() is None
    assert _changes(engine, username) == []


def test_a_taken_username_is_refused_in_english_for_an_english_admin(
    api_url: str, engine: Engine
) -> None:
    taken = make_staff(engine, StaffRole.dispatcher)
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        client.get("/console/admin", params={"lang": "en"})  # the language cookie
        answer = _post(
            client,
            "/console/admin",
            "/console/admin/staff",
            username=taken.username,
            role="supervisor",
            password=PASSWORD,
        )
    assert answer.status_code == 422
    assert f"A staff member named {taken.username} exists already." in answer.text


def test_a_disabled_user_is_logged_out_at_once_and_cannot_log_in_until_enabled(
    api_url: str, engine: Engine
) -> None:
    admin = make_staff(engine, StaffRole.admin)
    handler = make_staff(engine, StaffRole.unit_handler, CHAOYANG)
    token = bearer(api_url, handler)
    with console_login(api_url, handler) as own, console_login(api_url, admin) as desk:
        assert own.get("/console/cases").status_code == 200
        path = f"/console/admin/staff/{handler.username}/active"
        assert _post(desk, "/console/admin", path, active="no").status_code == 303
        refused = own.get("/console/cases")
        assert refused.status_code == 303 and refused.headers["location"] == "/console/login"
        assert httpx.get(f"{api_url}/api/v1/me", headers=token).status_code == 401
        with httpx.Client(base_url=api_url) as anonymous:
            token = csrf_of(anonymous.get("/console/login").text)
            login = {"username": handler.username, "password": PASSWORD, "csrf_token": token}
            assert anonymous.post("/console/login", data=login).status_code == 401
        assert _post(desk, "/console/admin", path, active="yes").status_code == 303
    with console_login(api_url, handler) as again:
        assert again.get("/console/cases").status_code == 200
    actions = [(c.action, c.before, c.after) for c in _changes(engine, handler.username)]
    assert actions == [
        ("disabled", {"active": True}, {"active": False}),
        ("enabled", {"active": False}, {"active": True}),
    ]


def test_an_admin_cannot_disable_their_own_account(api_url: str, engine: Engine) -> None:
    admin = make_staff(engine, StaffRole.admin)
    with console_login(api_url, admin) as client:
        path = f"/console/admin/staff/{admin.username}/active"
        answer = _post(client, "/console/admin", path, active="no")
    assert answer.status_code == 422 and "不能停用自己的账号" in answer.text
    assert _user(engine, admin.username).active


def test_a_password_reset_ends_the_old_sessions_and_logs_no_secret(
    api_url: str, engine: Engine
) -> None:
    admin = make_staff(engine, StaffRole.admin)
    dispatcher = make_staff(engine, StaffRole.dispatcher)
    old_hash = _user(engine, dispatcher.username).password_hash
    with console_login(api_url, dispatcher) as own, console_login(api_url, admin) as desk:
        path = f"/console/admin/staff/{dispatcher.username}/password"
        short = _post(desk, "/console/admin", path, password="short")
        assert short.status_code == 422
        assert f'id="error-password-{dispatcher.username}"' in short.text
        answer = _post(desk, "/console/admin", path, password="")
        assert answer.status_code == 200
        found = re.search(r'<code id="new-password">([^<]+)</code>', answer.text)
        assert found
        assert own.get("/console/cases").status_code == 303
    renewed = StaffAccount(dispatcher.username, found.group(1), StaffRole.dispatcher, None)
    with console_login(api_url, renewed) as again:
        assert again.get("/console/cases").status_code == 200
    [change] = _changes(engine, dispatcher.username)
    assert change.action == "password_reset" and change.before == {} and change.after == {}
    assert old_hash not in str(change.model_dump())


# ---- units --------------------------------------------------------------------------------


def test_an_admin_edits_a_unit_and_the_log_shows_before_and_after(
    api_url: str, engine: Engine
) -> None:
    page = f"/console/admin/units/{STREET}"
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        original = client.get(page).text
        assert "交道口街道" in original
        form = {
            "name_zh": "交道口街道办事处",
            "name_en": "Jiaodaokou Subdistrict",
            "kind": "street",
            "parent_code": "110101",
            "service_areas": "",
        }
        assert _post(client, page, page, **form).status_code == 303
        with Session(engine) as session:
            unit = session.get(Unit, STREET)
            assert unit is not None and unit.name_zh == "交道口街道办事处" and not unit.active
        restore = {**form, "name_zh": "交道口街道", "active": "yes"}
        assert _post(client, page, page, **restore).status_code == 303
        audit = client.get("/console/admin/audit").text
    first, second = _changes(engine, STREET)[-2:]
    assert first.before == {"name_zh": "交道口街道", "active": True}
    assert first.after == {"name_zh": "交道口街道办事处", "active": False}
    assert second.after == {"name_zh": "交道口街道", "active": True}
    assert "名称（中文）: 交道口街道 → 交道口街道办事处" in audit
    assert "启用: 是 → 否" in audit


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name_zh": ""}, "name_zh", "必填"),
        ({"kind": "castle"}, "kind", "请选择类型"),
        ({"parent_code": STREET}, "parent_code", "不能是自己的上级"),
        ({"parent_code": "nowhere"}, "parent_code", "没有编码为 nowhere"),
        ({"service_areas": "110101 nowhere"}, "service_areas", "没有编码为 nowhere"),
    ],
)
def test_a_wrong_unit_form_changes_nothing(
    api_url: str, engine: Engine, fields: dict[str, str], field: str, message: str
) -> None:
    page = f"/console/admin/units/{STREET}"
    form = {"name_zh": "交道口街道", "kind": "street", "parent_code": "110101", "active": "yes"}
    before = len(_changes(engine, STREET))
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        answer = _post(client, page, page, **{**form, **fields})
    assert answer.status_code == 422
    error = re.search(rf'id="error-{field}">([^<]+)<', answer.text)
    assert error and message in error.group(1)
    assert len(_changes(engine, STREET)) == before


def test_a_unit_under_itself_is_refused_as_a_loop(api_url: str, engine: Engine) -> None:
    page = "/console/admin/units/110101"  # 东城区, the parent of STREET
    form = {"name_zh": "东城区", "kind": "district", "parent_code": STREET, "active": "yes"}
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        answer = _post(client, page, page, **form)
    assert answer.status_code == 422 and "会形成循环" in answer.text
    with Session(engine) as session:
        unit = session.get(Unit, "110101")
        assert unit is not None and unit.parent_code == "110000"


def test_a_unit_in_use_is_not_deleted_and_a_unused_one_is(api_url: str, engine: Engine) -> None:
    code = f"T-{uuid.uuid4().hex[:6]}"
    with session_scope(engine) as session:
        session.add(Unit(code=code, name_zh="临时单位", kind=UnitKind.department))
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        page = f"/console/admin/units/{CHAOYANG}"
        refused = _post(client, page, f"{page}/delete")
        assert refused.status_code == 409 and "请改为停用" in refused.text
        page = f"/console/admin/units/{code}"
        assert _post(client, page, f"{page}/delete").status_code == 303
    with Session(engine) as session:
        assert session.get(Unit, CHAOYANG) is not None and session.get(Unit, code) is None
    [change] = _changes(engine, code)
    assert change.action == "deleted" and change.before["name_zh"] == "临时单位"


# ---- catalog leaves -----------------------------------------------------------------------


def test_an_admin_edits_a_leafs_deadlines_and_bad_values_are_refused(
    api_url: str, engine: Engine
) -> None:
    page = f"/console/admin/catalog/{LEAF}"
    form = {
        "name_zh": "冬季采暖",
        "name_en": "Winter heating",
        "unit_code": "U-RL",
        "acknowledge_hours": "1",
        "respond_hours": "2",
        "resolve_working_days": "2",
        "active": "yes",
    }
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        for bad, field, message in [
            ({"resolve_working_days": "1.5"}, "resolve_working_days", "整数个工作日"),
            ({"respond_hours": "-3"}, "respond_hours", "填正数"),
            ({"acknowledge_hours": "soon"}, "acknowledge_hours", "填正数"),
            ({"unit_code": CHAOYANG}, "unit_code", "公共服务企业"),
            ({"unit_code": ""}, "unit_code", "公共服务企业"),
            ({"name_en": ""}, "name_en", "必填"),
        ]:
            answer = _post(client, page, page, **{**form, **bad})
            assert answer.status_code == 422, bad
            error = re.search(rf'id="error-{field}">([^<]+)<', answer.text)
            assert error and message in error.group(1), bad
        assert _post(client, page, page, **{**form, "resolve_working_days": "3"}).status_code == 303
        with Session(engine) as session:
            leaf = session.get(Category, LEAF)
            assert leaf is not None and leaf.resolve_working_days == 3
        assert _post(client, page, page, **form).status_code == 303
    changes = _changes(engine, LEAF)
    assert [(c.before, c.after) for c in changes[-2:]] == [
        ({"resolve_working_days": 2}, {"resolve_working_days": 3}),
        ({"resolve_working_days": 3}, {"resolve_working_days": 2}),
    ]


# ---- holidays -----------------------------------------------------------------------------


def _working_weekday(calendar: WorkingCalendar, after: date) -> date:
    day = after
    while not (day.weekday() < 3 and calendar.is_working_day(day)):
        day += timedelta(days=1)
    return day


def test_an_extra_day_off_moves_the_deadlines_computed_after_it(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    from workflows.worker import load_worker_calendar

    base = load_worker_calendar(settings).calendar()
    day = _working_weekday(base, date(2031, 3, 3))
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=2)
    activities = CaseActivities(engine=engine, settings=settings, calendar=base)
    request = DeadlineRequest(start=start, policy=Policy(resolve_working_days=1))
    before = activities.plan_deadlines(request).resolve_due_at
    page = "/console/admin/holidays"
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        saturday = day + timedelta(days=5 - day.weekday())
        refused = _post(client, page, page, day=saturday.isoformat(), kind="holiday", name="x")
        assert refused.status_code == 422 and "已经是休息日" in refused.text
        refused = _post(client, page, page, day=day.isoformat(), kind="workday", name="x")
        assert refused.status_code == 422 and "已经是工作日" in refused.text
        refused = _post(client, page, page, day="31/12/2031", kind="holiday", name="x")
        assert refused.status_code == 422 and 'id="error-day"' in refused.text
        next_day = day + timedelta(days=1)
        added = _post(client, page, page, day=next_day.isoformat(), kind="holiday", name="暴雨停工")
        assert added.status_code == 303
        after = activities.plan_deadlines(request).resolve_due_at
        assert after == before + timedelta(days=1)  # the day off is skipped
        assert "暴雨停工" in client.get(page).text
        path = f"{page}/{next_day.isoformat()}/delete"
        assert _post(client, page, path).status_code == 303
    assert activities.plan_deadlines(request).resolve_due_at == before
    with Session(engine) as session:
        assert session.get(CalendarOverride, next_day) is None
    assert [c.action for c in _changes(engine, next_day.isoformat())] == ["added", "deleted"]


def test_overrides_win_over_the_calendar() -> None:
    monday, saturday = date(2031, 3, 3), date(2031, 3, 8)
    calendar = WorkingCalendar(holidays=frozenset({monday}))
    changed = calendar.with_overrides(frozenset({date(2031, 3, 4)}), frozenset({monday, saturday}))
    assert changed.is_working_day(monday) and changed.is_working_day(saturday)
    assert not changed.is_working_day(date(2031, 3, 4))
    assert calendar.with_overrides(frozenset(), frozenset()) is calendar


# ---- audit log ----------------------------------------------------------------------------


def test_the_audit_log_pages_in_local_time_and_the_staff_language(
    api_url: str, engine: Engine
) -> None:
    key = f"page-{uuid.uuid4().hex[:6]}"
    moment = datetime(2026, 11, 30, 17, 24, 4, tzinfo=UTC)
    with session_scope(engine) as session:
        for _ in range(60):
            change = record_change(
                session=session,
                actor="someone",
                entity=AdminEntity.staff,
                key=key,
                action=AdminAction.updated,
                before={"role": "dispatcher", "password": "never-shown"},
                after={"role": "supervisor", "password_hash": "never-shown"},
            )
            change.at = moment
    assert all(c.before == {"role": "dispatcher"} for c in _changes(engine, key))
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        first = client.get("/console/admin/audit").text
        total = client.get("/console/admin/audit", params={"page": 999}).text
        english = client.get("/console/admin/audit", params={"page": 999, "lang": "en"}).text
    assert 'rel="next"' in first and "never-shown" not in first + total
    assert "2026-12-01 01:24:04" in total  # Beijing time, not 17:24 UTC
    assert "角色: 派单员 → 督办员" in total
    assert "Role: Dispatcher → Supervisor" in english
    assert "T17:24" not in total and "+00:00" not in total
