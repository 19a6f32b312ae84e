"""Articles: submit one, read one with its events."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import ValidationError

from schemas.articles import AcceptedArticle, ArticleIn, ArticleOut
from service.api import engine
from service.api.access import visible_owner
from service.api.idempotency import idempotent
from service.api.ingest import TooLong, json_body, load_article
from service.api.jobs import IDEMPOTENCY_HEADER, job_links, store_and_publish
from service.storage.articles import get_article
from service.storage.events import article_events
from service.storage.jobs import article_owned_by

# The largest id a BIGINT holds: larger ones are unknown, not a database error.
MAX_ID = 2**63 - 1

blp = Blueprint("articles", __name__, description="Single articles and their events.")


@blp.route("/articles")
class Articles(MethodView):
    @blp.doc(
        requestBody={"content": {"application/json": {"schema": ArticleIn}}, "required": True},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @blp.response(202, AcceptedArticle)
    @blp.alt_response(400, description="Malformed JSON or not UTF-8.")
    @blp.alt_response(409, description="The Idempotency-Key was used for another request.")
    @blp.alt_response(503, description="The database is unavailable; retry after Retry-After.")
    @blp.alt_response(413, description="The body or the article's text is over the limit.")
    @blp.alt_response(415, description="Not application/json.")
    @blp.alt_response(422, description="Invalid fields.")
    def post(self):
        """Submit one article for coding; the same text and url return the stored article."""
        return idempotent(engine(), request, accept_article)


def accept_article() -> tuple[dict[str, Any], int]:
    """Validate, store and publish one article."""
    try:
        item = load_article(json_body(request))
    except TooLong as error:
        abort(413, message="The article's text is over the limit.", errors={"json": error.messages})
    except ValidationError as error:
        abort(422, errors={"json": error.messages})
    submission = store_and_publish([item], [])
    article_id = submission.article_ids[0]
    article = get_article(engine(), article_id) or {}
    body = {
        "article_id": article_id,
        "job_id": submission.job_id,
        "status": article.get("status", "queued"),
        "existing": not submission.new_ids,
        "links": {
            "article": url_for("articles.Article", article_id=article_id),
            "job": job_links(submission.job_id)["self"],
            "events": url_for("events.Events", article_id=article_id),
        },
    }
    return AcceptedArticle().dump(body), 202


@blp.route(f"/articles/<int(max={MAX_ID}):article_id>")
class Article(MethodView):
    @blp.response(200, ArticleOut)
    @blp.alt_response(404, description="Unknown article.")
    def get(self, article_id: int):
        """Return an article's fields, state and events."""
        article = get_article(engine(), article_id)
        owner = visible_owner()
        # Another key's article is answered as one that does not exist.
        if article is None or (owner is not None and not article_owned_by(engine(), article_id,
                                                                            owner)):  # fmt: skip
            abort(404, message=f"No article {article_id}.")
        article["events"] = article_events(engine(), article_id)
        return article
