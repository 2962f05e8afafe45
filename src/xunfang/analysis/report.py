"""Human-readable backtest table and the hit-rate curve plot (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def table(result: dict[str, Any]) -> str:
    """One line per method: hit rate / PAI / PEI* at 1, 5, 10 % of area, log-lik, runtime."""
    head = (
        f"{'method':<12}{'unit':<8}{'HR1%':>7}{'HR5%':>7}{'HR10%':>7}{'PAI1':>7}{'PAI5':>7}{'PAI10':>7}"
        f"{'PEI*1':>7}{'PEI*5':>7}{'PEI*10':>7}{'LL/ev':>8}{'time s':>8}"
    )
    lines = [head, "-" * len(head)]
    for name, m in result["methods"].items():
        hr, pai, pei = m["hit_rate"], m["pai"], m["pei"]
        ll = m.get("loglik_per_event")
        lines.append(
            f"{name:<12}{m['unit']:<8}"
            + "".join(f"{hr[k]:>7.3f}" for k in ("1", "5", "10"))
            + "".join(f"{pai[k]:>7.2f}" for k in ("1", "5", "10"))
            + "".join(f"{pei[k]:>7.3f}" for k in ("1", "5", "10"))
            + (f"{ll:>8.3f}" if ll is not None else f"{'-':>8}")
            + f"{m['runtime_s']:>8.1f}"
        )
    for name, why in result.get("skipped", {}).items():
        lines.append(f"{name:<12}skipped: {why}")
    lines.append(f"best (grid, hit rate at 5 % of area): {result.get('best')}")
    if "best_vs_naive_5pct" in result:
        lines.append(f"best vs tuned naive at 5 %: {result['best_vs_naive_5pct'] * 100:+.1f} % (relative)")
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    """Hit rate against share of area (street length for segment methods), all methods."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for name, m in result["methods"].items():
        if "curve" not in m:
            continue
        xs = [float(k) for k in m["curve"]]
        ys = [float(v) for v in m["curve"].values()]
        style = "--" if m["unit"] == "segment" else "-"
        ax.plot(xs, ys, style, marker="o", ms=3, label=f"{name} ({m['unit']})")
    cfg = result.get("config", {})
    ax.set_xlabel("share of area / street length flagged (%)")
    ax.set_ylabel("hit rate (share of next-window incidents)")
    test = " to ".join(cfg.get("test", []))
    ax.set_title(f"{cfg.get('source', '')}: test {test}, horizon {cfg.get('horizon_days', '')} d")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
