"""Plain-text rendering of a profile summary."""

from __future__ import annotations

from typing import Any

from tabulate import tabulate

MARK = " [illustrative: not published by the city]"


def profile_text(s: dict[str, Any]) -> str:
    sc, rk, tl = s["scoring"], s["ranking"], s["time_limits_hours"]
    lines = [
        f"Profile {s['id']}: {s['name']} ({s['name_en'] or ''})  source: {s['source']}",
        f"Time zone {s['timezone']}, language {s['language']}",
        "Units: " + ", ".join(f"{n} {lv}" for lv, n in s["units"].items()) + f"; {s['categories']} categories",
        "",
        "Time limits (hours)" + (MARK if tl["illustrative"] else ""),
        tabulate(sorted(tl["values"].items()), headers=["request type", "hours"]),
        "",
        "Scoring" + (MARK if sc["illustrative"] else ""),
        f"  response method: {sc['response_method']}",
        f"  basically-satisfied weight: {sc['basically_satisfied_weight']}",
        f"  minimum scored cases to rank: {sc['min_scored']}",
        f"  exclusion reasons honoured: {', '.join(sc['exclusion_reasons'])}",
        tabulate(
            [[("* " if n == sc["weight_set"] else "  ") + n, w["response"], w["resolution"], w["satisfaction"]] for n, w in sc["weights"].items()],
            headers=["weight set (* in use)", "response", "resolution", "satisfaction"],
        ),
        "",
        "Ranking" + (MARK if rk["illustrative"] else ""),
        f"  class size: {rk['class_size']}; levels: {', '.join(rk['levels'])}",
    ]
    if "ranked_units" in s:
        lines.append("  units ranked: " + ", ".join(f"{n} {lv}" for lv, n in s["ranked_units"].items()))
    zones = s.get("zones", {})
    if zones.get("ids"):
        head = f"Zones: {len(zones['ids'])} places that are not streets or townships, never ranked at street level"
        dispatch = f"  a street-tier case located in a zone below district tier goes to: {zones['dispatch']}"
        lines += ["", f"{head}: {', '.join(zones['ids'])}", dispatch + (MARK if zones["illustrative"] else "")]
    if "class_sizes" in rk:  # issue 13: sizes per level, exclusive classes, analysis settings
        an, wn = s["analysis"], s["warn"]
        w = an["candidate_weights"]
        lines += [
            "  class size per level: " + ", ".join(f"{lv} {n}" for lv, n in rk["class_sizes"].items())
            + f"; exclusive classes: {'yes' if rk['exclusive_classes'] else 'no'}",
            "",
            "Analysis (topics)" + (MARK if an["illustrative"] else ""),
            f"  decline threshold: {an['decline_threshold']:g}; top N: {an['top_n']}; top streets: {an['top_streets']}",
            "  candidate weights: " + ", ".join(f"{k} {v:g}" for k, v in w.items()),
            f"  registered problems: {', '.join(s['topics']) or 'none'}",
            "",
            "Early warning (warn)" + (MARK if wn["illustrative"] else ""),
            (f"  alpha {wn['alpha']:g}, {wn['baseline']} baseline ({wn['recent_periods']} periods, or {wn['years']} years"
             f" ± {wn['half_window']}), at least {wn['min_baseline']} periods, at least {wn['min_count']} requests"),
        ]
    if "unit_list" in s:
        lines += ["", tabulate([[u["id"], u["name"], u["level"], u["district"] or "", u.get("kind") or ""]
                                for u in s["unit_list"]], headers=["id", "name", "level", "district", "kind"])]
    return "\n".join(lines)
