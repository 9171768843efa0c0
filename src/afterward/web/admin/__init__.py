"""The merchant admin (placeholder until the admin app lands)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
