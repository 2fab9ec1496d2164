"""Summaries of paired measurements: per side the median and range over rounds, the ratio of the
medians, and the range of the per-round ratios (each round's runs were taken side by side)."""
import math
import statistics


def summarise(reference, segmadiff, higher_is_better=False):
    """reference, segmadiff: one value per round. The ratio is segmadiff's advantage: reference /
    segmadiff for times and memory, segmadiff / reference for rates, so above 1 = segmadiff better."""
    def ratio(ref, seg):
        # A difference of two runs (a per-step row) can come out at or below 0 when the machine's
        # noise exceeds the difference: no ratio then.
        if ref <= 0 or seg <= 0:
            return float("nan")
        if higher_is_better:
            return seg / ref if ref else float("nan")
        return ref / seg if seg else float("nan")

    per_round = [ratio(r, s) for r, s in zip(reference, segmadiff)]
    valid = [value for value in per_round if not math.isnan(value)] or [float("nan")]
    ref_median, seg_median = statistics.median(reference), statistics.median(segmadiff)
    return {
        "reference": {"median": ref_median, "min": min(reference), "max": max(reference), "values": reference},
        "segmadiff": {"median": seg_median, "min": min(segmadiff), "max": max(segmadiff), "values": segmadiff},
        "ratio": ratio(ref_median, seg_median),
        "ratio_min": min(valid), "ratio_max": max(valid), "ratios": per_round,
        "rounds": len(per_round),
    }
