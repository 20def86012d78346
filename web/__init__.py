"""Web pages: the public intake, tracking and feed pages, and the staff console."""

from fastapi import APIRouter

from web import (
    console,
    console_admin,
    console_case,
    console_list,
    console_reports,
    console_transcribe,
    inbox,
    maps,
    public,
    survey,
    track_withdraw,
)

router = APIRouter()
router.include_router(public.router)
router.include_router(maps.router)
router.include_router(survey.router)
router.include_router(console.router)
router.include_router(console_admin.router)
router.include_router(console_reports.router)
router.include_router(console_list.router)
router.include_router(inbox.router)
router.include_router(console_case.router)
router.include_router(console_transcribe.router)
router.include_router(track_withdraw.router)
