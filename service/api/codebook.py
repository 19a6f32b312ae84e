"""The CAMEO codebook the coder uses."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.events import CodebookPage

blp = Blueprint("codebook", __name__, description="CAMEO event codes.")


@lru_cache(maxsize=1)
def codebook() -> tuple[dict[str, Any], ...]:
    """Load the coder's CAMEO table once per process."""
    from coder.dictionaries import DATA_DIR, load_cameo

    cameo = load_cameo(DATA_DIR / "cameo.txt")
    return tuple(
        {
            "code": entry.code,
            "name": entry.name,
            "root": entry.root,
            "quad_class": entry.quad_class,
            "goldstein": entry.goldstein,
        }
        for entry in sorted(cameo.values(), key=lambda entry: entry.code)
    )


@blp.route("/codebook/events")
class Codebook(MethodView):
    @blp.response(200, CodebookPage)
    def get(self):
        """List every CAMEO event code with its name, root, quad class and Goldstein weight."""
        return {"codes": codebook()}
