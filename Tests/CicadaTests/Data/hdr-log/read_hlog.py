"""Reads a Cicada --hdr-log file with PyPI's hdrhistogram (its HistogramLogReader), as a user of that
package would, and prints what it found as JSON: for each tag ("" for the untagged lines) the count of
each interval, the interval starts and lengths (seconds from the log's StartTime), and the merged
histogram's total count and p99 (in the log's unit, microseconds), both by this package's rank rule and by
HdrHistogram's Java one. It also counts the interval lines in
the file, since the reader skips a line it cannot match rather than failing.

Exits 1, with the decoder's complaint on stderr, when an interval does not decode."""
import json
import math
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

HIGHEST = 3_600_000_000  # an hour in microseconds: far above any test's response time


def value_at_percentile_ceiling_rank(histogram, percentile):
    """The percentile as HdrHistogram's Java library (and hdrhistogram-swift, so Cicada's summary) takes it:
    the value of the sample at rank ceil(p * count / 100), p taken just below itself. This package's own
    get_value_at_percentile rounds the rank to the nearest instead, so the two can be one sample apart."""
    rank = max(1, math.ceil(math.nextafter(percentile, 0) * histogram.get_total_count() / 100))
    for item in histogram.get_recorded_iterator():
        if item.total_count_to_this_value >= rank:
            return item.value_iterated_to
    return 0


def main(path):
    reader = HistogramLogReader(path, HdrHistogram(1, HIGHEST, 3))
    tags = {}
    while True:
        try:
            interval = reader.get_next_interval_histogram()
        except Exception as error:  # the decoder's own exceptions: base64, zlib, cookie, length
            print("rejected: %s: %s" % (type(error).__name__, error), file=sys.stderr)
            return 1
        if interval is None:
            break
        tag = interval.get_tag() or ""
        entry = tags.setdefault(tag, {"counts": [], "starts": [], "lengths": [], "merged": HdrHistogram(1, HIGHEST, 3)})
        entry["counts"].append(interval.get_total_count())
        start = interval.get_start_time_stamp() / 1000.0 - reader.get_start_time_sec()
        entry["starts"].append(round(start, 3))
        entry["lengths"].append(round((interval.get_end_time_stamp() - interval.get_start_time_stamp()) / 1000.0, 3))
        entry["merged"].add(interval)
    with open(path, encoding="utf-8") as log:
        lines = sum(1 for line in log if line[:1].isdigit() or line.startswith("Tag="))
    result = {"interval_lines": lines, "tags": {}}
    for tag, entry in tags.items():
        merged = entry.pop("merged")
        entry["total"] = merged.get_total_count()
        entry["p99"] = merged.get_value_at_percentile(99)
        entry["p99_ceiling_rank"] = value_at_percentile_ceiling_rank(merged, 99)
        entry["max"] = merged.get_max_value()
        result["tags"][tag] = entry
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
