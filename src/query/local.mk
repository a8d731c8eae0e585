# src/query: query document, validation, execution, merge, result document.
