"""Web pages: the public intake, tracking and feed pages, and the staff console."""

from fastapi import APIRouter

from web import console, console_case, public

router = APIRouter()
router.include_router(public.router)
router.include_router(console.router)
router.include_router(console_case.router)
