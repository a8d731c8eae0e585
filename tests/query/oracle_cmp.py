"""Comparing a result document with the oracle's expected answer (tests/data/oracle): exact
counts, floats to 1e-9 relative, top-10 maps exact above their smallest kept value (entries
tied at the cut may differ).  Shared by the `frocket query` and `frocket run` tests."""


def close(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b


def cmp_map(g, e, path, errs):
    """Top-10 maps: entries above the smallest kept value exactly, tied ones by value."""
    if not isinstance(g, dict) or len(g) != len(e):
        errs.append("%s: got %s expected %s" % (path, g, e))
        return
    low = min(e.values()) if e else None
    for k, v in e.items():
        if k in g:
            if not close(g[k], v):
                errs.append("%s[%s]: got %s expected %s" % (path, k, g[k], v))
        elif v != low:
            errs.append("%s: missing %s" % (path, k))
    for k, v in g.items():
        if k not in e and not close(v, low):
            errs.append("%s: extra %s=%s" % (path, k, v))


def cmp(g, e, path, errs):
    if isinstance(e, dict):
        if not isinstance(g, dict):
            errs.append("%s: got %s expected %s" % (path, g, e))
            return
        for k, v in e.items():
            if v is None and g.get(k) is None:
                continue
            if k == "value" and isinstance(v, dict):
                cmp_map(g.get(k), v, path + ".value", errs)
            elif k not in g:
                errs.append("%s.%s missing" % (path, k))
            else:
                cmp(g[k], v, path + "." + k, errs)
        for k in g:
            if k not in e and g[k] is not None:
                errs.append("%s.%s unexpected" % (path, k))
    elif isinstance(e, list):
        if not isinstance(g, list) or len(g) != len(e):
            errs.append("%s: got %s expected %s" % (path, g, e))
            return
        for i, (a, b) in enumerate(zip(g, e)):
            cmp(a, b, "%s[%d]" % (path, i), errs)
    elif not close(g, e):
        errs.append("%s: got %s expected %s" % (path, g, e))


def compare(out, exp):
    """Errors (a list of strings) between a response document and an expected answer."""
    errs = []
    if exp["valid"]:
        if not out.get("success"):
            errs.append("failed: %s" % str(out)[:300])
        else:
            cmp({k: out.get(k) for k in ("query", "funnel")},
                {"query": exp["result"]["query"], "funnel": exp["result"].get("funnel")},
                "result", errs)
    else:
        kind = exp["errorKind"].split(".")[-1]
        if out.get("errorKind") != kind:
            errs.append("expected %s, got %s" % (kind, str(out)[:300]))
    return errs
