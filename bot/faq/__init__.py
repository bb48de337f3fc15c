"""Questions and answers about the learning titles: knowledge base as data, accent-free matching."""
