# One image for every role: `dyad web` (the default), `dyad worker`, `dyad db upgrade`.
# Build: docker build -t dyad .    Run the whole stack: docker compose up --build
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A fixed numeric id, so orchestrators that insist on a non-root user can check it.
RUN groupadd --system --gid 10001 dyad \
    && useradd --system --uid 10001 --gid dyad --home-dir /app --no-create-home dyad

WORKDIR /src

# Dependencies first, read from pyproject.toml, so that editing the code does not reinstall
# spaCy. The English model is a PyPI dependency: nothing is downloaded at run time.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(deps))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the project itself (hatchling needs the readme and every package it ships).
COPY README.md ./
COPY coder ./coder
COPY service ./service
COPY workers ./workers
COPY schemas ./schemas
RUN pip install --no-cache-dir . \
    && mkdir -p /app/data \
    && chown dyad:dyad /app/data

WORKDIR /app
# The embedded defaults (SQLite, file queue, the worker's beat schedule) live here.
ENV DYAD_DATA_DIR=/app/data
USER 10001:10001

EXPOSE 8000
CMD ["dyad", "web", "--host", "0.0.0.0", "--port", "8000"]
