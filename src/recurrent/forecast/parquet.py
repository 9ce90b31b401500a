"""Parquet in and out (the ``parquet`` extra, pyarrow): long tables of many series or one series.

Read as the CSV readers read (``files.group_long``): ids in first-seen order, each series' dates
checked, series with the same dates sharing one list of labels; the file opened as a bounded
regular file. Written from the same rows as a long CSV file, ISO date labels as timestamps.
"""

from __future__ import annotations

import numpy as np

from ..safefiles import MAX_TEXT_BYTES, atomic_write_bytes, open_regular
from .fastread import group_long


def _parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("Parquet files need pyarrow: pip install 'recurrent[parquet]'") from None
    return pq


def read_parquet(path, id_column=None, date_column="auto", column=None):
    """({id: values}, {id: date labels}, many) from a Parquet file: long (an id column: ``id_column``,
    else ``unique_id`` when present) or one series (a date column and a value column). The file is
    read as a regular file of bounded size, its columns as Arrow arrays; dates become ISO labels."""

    pq = _parquet()
    with open_regular(path, "Parquet file", MAX_TEXT_BYTES) as f:
        try:
            table = pq.read_table(f)
        except Exception as exc:  # pyarrow's ArrowInvalid and kin
            raise ValueError(f"{path}: not a readable Parquet file ({str(exc)[:200]})") from None
    names = table.column_names
    ic = id_column or ("unique_id" if "unique_id" in names else None)
    vc = column or ("y" if "y" in names else names[-1])
    dc = None if date_column is None else (date_column if date_column not in (None, "auto") else None)
    if dc is None and date_column == "auto":
        dc = "ds" if "ds" in names else next((n for n in names if n not in (ic, vc)), None)
    for what, name in (("id column", ic), ("column", vc), ("date column", dc)):
        if name is not None and name not in names:
            raise ValueError(f"{path}: no {what} {name!r} (the file has {', '.join(names)})")
    y = np.asarray(table.column(vc).to_numpy(zero_copy_only=False), dtype=np.float64)
    if not np.all(np.isfinite(y)):
        r = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ValueError(f"{path}, row {r}: {vc} is missing or not finite; fill it first (--fill applies to CSV cells)")
    dcodes = dlabels = None
    if dc is not None:
        dcodes, distinct = _encoded(table.column(dc), path, dc)
        if np.issubdtype(np.asarray(distinct).dtype, np.datetime64):
            secs = np.asarray(distinct).astype("datetime64[s]")
            timed = bool(np.any(secs != secs.astype("datetime64[D]")))
            dlabels = [str(v).replace("T", " ") if timed else str(v)[:10] for v in secs]
        else:
            dlabels = [str(v).strip() for v in distinct]
    if ic is None:
        label = f"{path} ({vc})"
        labels = None if dcodes is None else [dlabels[k] for k in dcodes]
        return {label: y}, {label: labels}, False
    codes, ids = _encoded(table.column(ic), path, ic)
    got = group_long(codes, [str(u).strip() for u in ids], y, dcodes, dlabels)
    if got is None:
        raise ValueError(f"{path}: an empty id, or a series whose dates are repeated or out of order")
    return got[0], got[1], True


def _encoded(column, path, name):
    """(codes, distinct values) of an Arrow column: one code per row into its distinct values."""
    enc = column.dictionary_encode().combine_chunks()
    if enc.null_count:
        raise ValueError(f"{path}: column {name!r} has a missing value")
    codes = enc.indices.to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), enc.dictionary.to_numpy(zero_copy_only=False)


def write_parquet(path, columns: list, rows: list) -> bytes:
    """Rows (tuples in ``columns`` order) as a Parquet file, atomically; ISO date labels become
    timestamps, numbers float64. Returns the bytes written."""
    import io as _io

    import pyarrow as pa

    pq = _parquet()
    data = {}
    for k, name in enumerate(columns):
        cells = [r[k] for r in rows]
        if name in ("ds", "cutoff"):
            try:
                data[name] = pa.array(np.array(cells, dtype="datetime64[s]"))
                continue
            except ValueError:
                pass
        data[name] = pa.array(cells)
    buf = _io.BytesIO()
    pq.write_table(pa.table(data), buf)
    atomic_write_bytes(path, buf.getvalue())
    return buf.getvalue()
