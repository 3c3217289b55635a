"""The source-independent part of extraction: the extractor protocol and options (`base`), the
per-object run loop (`engine`), records -> raw versions (`records`), the raw loader (`loader`), sync
state and run log (`state`), retries (`retry`), errors (`errors`), the HTTP session (`http`), rate
limiting (`ratelimit`) and hard-delete tombstones (`tombstones`)."""
