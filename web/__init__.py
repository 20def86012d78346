"""Web pages: the public intake, tracking and feed pages, and the staff console."""

from fastapi import APIRouter

from web import console, inbox, public, survey

router = APIRouter()
router.include_router(public.router)
router.include_router(survey.router)
router.include_router(console.router)
router.include_router(inbox.router)
