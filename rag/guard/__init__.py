"""What may be asked and answered: the content policy (`rules`) and the filter that applies it,
alone or with Llama Guard (`filter`). Text is cleaned first by `rag.text.sanitize`."""
