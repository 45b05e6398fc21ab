"""Console page (being written)."""

from fastapi import APIRouter

from waitline.console.dependencies import ConsoleRoute

router = APIRouter(prefix="/console", route_class=ConsoleRoute)
