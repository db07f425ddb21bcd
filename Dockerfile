FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 halobot
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
# python -m bot runs the copy in /app: compile it once here, not at every start (the bot user
# cannot write /app, and PYTHONDONTWRITEBYTECODE is set).
RUN pip install . && python -m compileall -q bot cogs && mkdir -p /app/data && chown halobot:halobot /app/data

USER halobot
# SQLite database and Microsoft token cache live here.
VOLUME ["/app/data"]
# Listen on all interfaces inside the container so the orchestrator can probe it.
ENV HALOBOT_HEALTH__HOST=0.0.0.0 HALOBOT_HEALTH__PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
