"""Figures of the workflow's products (matplotlib/seaborn; axes labelled with units)."""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import skfem
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.tri import Triangulation
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from electrolyte3d import study, summary
from electrolyte3d.convergence import find_quantity
from electrolyte3d.geometry import ELECTRODE, ELECTROLYTE, INSULATION, INTERFACE, TOP
from electrolyte3d.parameters import UM
from electrolyte3d.shapes import ELEMENT_NOUNS

SUBDOMAIN_COLOURS = {ELECTROLYTE: "#9ecae1", ELECTRODE: "#d9d9d9"}
BOUNDARY_COLOURS = {INTERFACE: "#d62728", TOP: "#e6b800"}
"""The paper's convention (Fig. S29): interface in red, top (applied current, c0) in yellow."""


def mesh_preview(mesh: skfem.MeshTri, title: str, zoom_half_width: float = 40 * UM):
    """Whole cross-section with subdomains and tagged boundaries, and a zoom on the mesh
    around the first pillar root (or the interface middle for a planar film)."""
    sns.set_theme(style="white", context="paper")
    points = mesh.p / UM
    figure, (whole, zoom) = plt.subplots(
        1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [2.2, 1]}, layout="constrained"
    )
    for name, colour in SUBDOMAIN_COLOURS.items():
        cells = mesh.t[:, mesh.subdomains[name]]
        triangulation = Triangulation(points[0], points[1], cells.T)
        whole.tripcolor(triangulation, np.zeros(cells.shape[1]), cmap=_flat(colour), label=name)
        zoom.triplot(triangulation, color="0.35", linewidth=0.25)
        zoom.tripcolor(triangulation, np.zeros(cells.shape[1]), cmap=_flat(colour), alpha=0.6)
    for name, colour in BOUNDARY_COLOURS.items():
        segments = points[:, mesh.facets[:, mesh.boundaries[name]]].transpose(2, 1, 0)
        for axes in (whole, zoom):
            axes.add_collection(LineCollection(segments, colors=colour, linewidths=1.5, label=name))

    centre = _zoom_centre(mesh) / UM
    half = zoom_half_width / UM
    zoom.set_xlim(centre[0] - half, centre[0] + half)
    zoom.set_ylim(centre[1] - half, centre[1] + half)
    for axes in (whole, zoom):
        axes.set_aspect("equal")
        axes.set_xlabel("x [um]")
        axes.set_ylabel("y [um]")
    whole.set_title(f"{title}: {mesh.t.shape[1]:,} triangles")
    zoom.set_title("mesh near a pillar root" if _has_pillars(mesh) else "mesh at the interface")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for colour in SUBDOMAIN_COLOURS.values()]
    handles += [plt.Line2D([], [], color=colour, linewidth=2) for colour in BOUNDARY_COLOURS.values()]
    whole.legend(
        handles,
        [*SUBDOMAIN_COLOURS, *BOUNDARY_COLOURS],
        loc="lower left",
        fontsize="small",
        framealpha=0.9,
    )
    return figure


def _flat(colour: str):
    return matplotlib.colors.ListedColormap([colour])


def _has_pillars(mesh: skfem.MeshTri) -> bool:
    interface_nodes = mesh.facets[:, mesh.boundaries[INTERFACE]]
    return bool(np.ptp(mesh.p[1, interface_nodes]) > 0)


def _zoom_centre(mesh: skfem.MeshTri) -> np.ndarray:
    """The leftmost pillar root (left edge of the leftmost pillar, at y = 0), or the interface
    middle for a planar film."""
    x, y = mesh.p[:, np.unique(mesh.facets[:, mesh.boundaries[INTERFACE]])]
    on_pillars = x[y < 0]
    return np.array([on_pillars.min() if on_pillars.size else x.mean(), 0.0])


def _label(ds, case: str) -> str:
    grid = "" if str(ds.grid_status.sel(case=case).values) == "converged" else " (not grid-converged)"
    return f"{case}{grid}"


def _shown(ds):
    """The cases with usable results, and a note naming the ones left out."""
    usable = ~ds.status.isin(study.UNUSABLE)
    left_out = [
        f"{case} ({status})" for case, status in zip(ds.case.values[~usable.values], ds.status.values[~usable.values])
    ]
    note = f"not shown: {', '.join(left_out)}" if left_out else ""
    return ds.sel(case=usable), note


def cell_preview(whole: skfem.MeshTet, title: str):
    """A unit cell's interface triangles seen from below, the pillars hanging into the
    electrode (matplotlib draws no hidden faces, so the insulated mirror faces are left out), and
    the mesh on the mirror plane y = 0 through a pillar axis, coloured by subdomain."""
    figure = plt.figure(figsize=(11, 5.5), layout="constrained")
    below = figure.add_subplot(1, 2, 1, projection="3d")
    triangles = (whole.p[:, whole.facets[:, whole.boundaries[INTERFACE]]] / UM).transpose(2, 1, 0)
    below.add_collection3d(
        Poly3DCollection(triangles, facecolors=BOUNDARY_COLOURS[INTERFACE], edgecolors="0.15", linewidths=0.15)
    )
    low, high = triangles.min(axis=(0, 1)), triangles.max(axis=(0, 1))
    below.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]), zlim=(low[2], high[2]))
    below.set_box_aspect(np.maximum(high - low, 0.05 * (high - low).max()))
    below.view_init(elev=-30, azim=-135)
    below.set(xlabel="x [um]", ylabel="y [um]", zlabel="z [um]")
    below.set_title(
        f"interface from below: {whole.boundaries[INTERFACE].size:,} triangles\n"
        f"{whole.subdomains[ELECTROLYTE].size:,} of {whole.nelements:,} tetrahedra in the electrolyte",
        fontsize="medium",
        pad=28,  # clear of the axis labels, which the view from below puts at the top
    )

    section = figure.add_subplot(1, 2, 2)
    in_electrolyte = np.zeros(whole.nelements, dtype=bool)
    in_electrolyte[whole.subdomains[ELECTROLYTE]] = True
    on_plane = whole.boundaries[INSULATION][
        np.all(np.abs(whole.p[1, whole.facets[:, whole.boundaries[INSULATION]]]) < 1e-3 * UM, axis=0)
    ]
    for name, inside in ((ELECTROLYTE, True), (ELECTRODE, False)):
        facets = whole.facets[:, on_plane[in_electrolyte[whole.f2t[0, on_plane]] == inside]]
        triangulation = Triangulation(whole.p[0] / UM, whole.p[2] / UM, facets.T)
        section.tripcolor(triangulation, np.zeros(facets.shape[1]), cmap=ListedColormap([SUBDOMAIN_COLOURS[name]]))
        section.triplot(triangulation, color="0.3", linewidth=0.2)
    section.set_aspect("equal")
    section.set(xlabel="x [um]", ylabel="z [um]", title="mirror plane y = 0")
    colours = {INTERFACE: BOUNDARY_COLOURS[INTERFACE], **SUBDOMAIN_COLOURS}
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for colour in colours.values()]
    figure.legend(handles, list(colours), loc="outside lower center", ncols=len(colours), fontsize="small")
    figure.suptitle(title)
    return figure


def convergence(ds, time: float | None):
    """A case's reported quantities against electrolyte element counts (log scale), one panel per
    quantity: mean and CV of interface c at ``time`` (or steady), and the depletion time (for a
    cathode case also the CV of c_s and the saturation time, where it has them); the
    Richardson-extrapolated value of the three finest levels as a line; the production level ringed,
    with its error bars: the grid error and, beside it, the total (grid + time) error."""
    sns.set_theme(style="whitegrid", context="paper")
    picks = [
        ("c_mean", "mean interface c [mol m-3]"),
        ("c_cv", "CV of interface c [-]"),
        ("depletion_time", "time to depletion [s]"),
        ("lithiation_cv", "CV of c_s over the cathode [-]"),
        ("saturation_time", "time to saturation [s]"),
    ]
    picks = [(name, label, find_quantity(ds, name, time)) for name, label in picks]
    picks = [(name, label, quantity) for name, label, quantity in picks if quantity is not None]
    figure, axes = plt.subplots(1, len(picks), figsize=(4 * len(picks), 3.4), layout="constrained", squeeze=False)
    production = ds.attrs["production_level"]
    for axis, (_name, label, quantity) in zip(axes[0], picks):
        row = ds.sel(quantity=quantity)
        axis.plot(ds.elements, row.value, "o-", color="C0", label="levels")
        axis.plot(
            ds.elements[production],
            row.value[production],
            "o",
            markersize=12,
            markerfacecolor="none",
            color="C3",
            label=f"production level {production}",
        )
        value, elements = float(row.value[production]), float(ds.elements[production])
        for part, shift, colour in (("grid", 0.93, "C2"), ("total", 1.07, "C3")):
            bar = float(row[f"{part}_error"]) * abs(value)
            if np.isfinite(bar):
                axis.errorbar(
                    elements * shift,
                    value,
                    yerr=bar,
                    fmt="none",
                    capsize=4,
                    color=colour,
                    label=f"{part} error" + (" (grid + time)" if part == "total" else ""),
                )
        if np.isfinite(row.extrapolated_value):
            axis.axhline(float(row.extrapolated_value), color="0.3", linestyle="--", label="Richardson extrapolation")
        gci, grid_error, time_error = float(row.gci_fine), float(row.grid_error), float(row.time_error)
        kind = str(row.gci_kind.values)
        if str(row.gci_rule.values) != "observed_order":
            kind += f", bar by {str(row.gci_rule.values).replace('_', ' ')}"
        resolved = "" if int(row.quantity_resolved) else ", NOT resolved"
        axis.set_title(
            f"{quantity}{resolved}\nGCI fine {gci:.2g} ({kind}); error grid {grid_error:.2g}, time {time_error:.2g}"
            if np.isfinite(gci)
            else f"{quantity}{resolved}\n{kind}; time error {time_error:.2g}",
            fontsize="small",
        )
        axis.set_xscale("log")
        axis.set_xticks(ds.elements.values, labels=[f"{n:.3g}" for n in ds.elements.values], minor=False)
        axis.set_xticks([], minor=True)
        axis.set_xlabel(f"electrolyte {ELEMENT_NOUNS[ds.attrs.get('dimension', 2)]} [-]")
        axis.set_ylabel(label)
    axes[0][0].legend(fontsize="small")
    figure.suptitle(f"{ds.attrs['case']}: {ds.attrs['grid_status'].replace('_', ' ')}", fontsize="medium")
    return figure


def interface_profiles(ds, time: float | None):
    """Interface c and reaction current density (plating, or intercalation into a cathode) along
    the interface at ``time``, one column per case (the paper's planar / spiral / pillar comparison)."""
    sns.set_theme(style="whitegrid", context="paper")
    shown, note = _shown(ds)
    if "dimension" in shown.coords and bool((shown.dimension == 3).any()):
        # a 3D interface is a surface, not a path: its values per node are in its own result files
        surfaces = ", ".join(shown.case.values[shown.dimension.values == 3])
        note = "; ".join(filter(None, [note, f"3D cases (an interface surface, no arc length) not shown: {surfaces}"]))
        shown = shown.sel(case=shown.dimension == 2)
    if not shown.sizes["case"]:
        figure, axis = plt.subplots(figsize=(6, 2), layout="constrained")
        axis.text(0.5, 0.5, "\n".join(textwrap.wrap(note, 80)), ha="center", va="center", fontsize="small")
        axis.set_axis_off()
        return figure
    at = shown.sel(time=time, method="nearest") if time is not None else shown
    figure, axes = plt.subplots(
        2,
        shown.sizes["case"],
        figsize=(3.6 * shown.sizes["case"], 5.2),
        layout="constrained",
        squeeze=False,
        sharey="row",
    )
    for column, case in enumerate(shown.case.values):
        profile = at.sel(case=case)
        s = profile.s_norm * profile.interface_length / UM
        axes[0][column].plot(s, profile.c_interface, color="C0")
        axes[1][column].plot(s, profile.i_loc, color="C3")
        axes[0][column].set_title(_label(shown, case), fontsize="small")
        axes[1][column].set_xlabel("arc length along the interface [um]")
    axes[0][0].set_ylabel("interface c [mol m-3]")
    axes[1][0].set_ylabel("reaction current density [A m-2]")
    when = f"t = {float(at.time):.3g} s" if time is not None else "steady state"
    figure.suptitle(f"interface profiles at {when}" + (f"; {note}" if note else ""), fontsize="medium")
    return figure


def uniformity(ds):
    """Uniformity metrics over time per case: CV of c, min/mean of c, CV of the reaction current,
    with each case's depletion time marked."""
    sns.set_theme(style="whitegrid", context="paper")
    shown, note = _shown(ds)
    metrics = {
        "CV of interface c [-]": shown.c_cv,
        "min / mean of interface c [-]": shown.c_min / shown.c_mean,
        "CV of reaction current density [-]": shown.i_loc_cv,
    }
    figure, axes = plt.subplots(1, len(metrics), figsize=(13, 3.8), layout="constrained")
    labels = {case: _label(shown, case) for case in shown.case.values}
    if "time" not in shown.dims:  # a stationary study: one value per case
        for axis, (label, values) in zip(axes, metrics.items()):
            sns.barplot(x=[labels[case] for case in shown.case.values], y=values.values, ax=axis)
            axis.set_xlabel("case")
            axis.set_ylabel(label)
            axis.tick_params(axis="x", labelrotation=30)
        figure.suptitle("interface uniformity at steady state" + (f"; {note}" if note else ""), fontsize="medium")
        return figure
    for axis, (label, values) in zip(axes, metrics.items()):
        table = values.rename("value").to_dataframe().reset_index().dropna(subset=["value"])
        table["case"] = table["case"].map(labels)
        sns.lineplot(table, x="time", y="value", hue="case", marker="o", markersize=3, ax=axis, legend=axis is axes[0])
        for colour, case in zip(sns.color_palette(), shown.case.values):
            depletion = float(shown.depletion_time.sel(case=case))
            if np.isfinite(depletion):
                axis.axvline(depletion, color=colour, linestyle=":", linewidth=1)
            series = values.sel(case=case)
            if label.startswith("CV of interface c") and "c_cv_total_error" in shown:
                bar = np.abs(series) * shown.c_cv_total_error.sel(case=case)
                axis.fill_between(shown.time, series - bar, series + bar, color=colour, alpha=0.25, linewidth=0)
            unresolved = (
                (shown.resolved.sel(case=case) == 0).values
                if "resolved" in shown
                else np.zeros(shown.sizes["time"], dtype=bool)
            )
            if unresolved.any():
                marked = "mesh-limited (unresolved)" in axis.get_legend_handles_labels()[1]
                axis.plot(
                    shown.time[unresolved],
                    series[unresolved],
                    "x",
                    color="0.4",
                    markersize=6,
                    label=None if marked else "mesh-limited (unresolved)",
                )
        axis.set_xscale("log")
        axis.set_xlabel("time [s]")
        axis.set_ylabel(label)
    axes[0].legend(fontsize="small", title="case (dotted: depletion)")
    figure.suptitle(
        "interface uniformity over time; band: total error of the CV (grid + time); x: the mesh does not "
        "resolve the depletion layer" + (f"; {note}" if note else ""),
        fontsize="medium",
    )
    return figure


def cathode(ds):
    """The cathode cases side by side (f-SE against p-3DSE, each D_cathode): lithiation
    uniformity (CV of c_s over the cathode area) and the lithiated fraction over time, and at the
    latest report time all cathode cases reached, the Li gained at each depth and the
    intercalation current along the interface."""
    sns.set_theme(style="whitegrid", context="paper")
    shown, note = _shown(ds.sel(case=ds.study == "cathode"))
    time = ds.attrs["cathode_common_time_s"]
    labels = {
        case: f"{_label(shown, case)}, D_s {float(shown.D_cathode.sel(case=case)):.2g} m2/s"
        for case in shown.case.values
    }
    colours = dict(zip(shown.case.values, sns.color_palette(n_colors=shown.sizes["case"])))
    figure, axes = plt.subplots(2, 2, figsize=(11, 7.5), layout="constrained")
    for axis, (name, label) in zip(
        axes[0],
        (("lithiation_cv", "CV of c_s over the cathode [-]"), ("lithiated_fraction", "lithiated area fraction [-]")),
    ):
        for case in shown.case.values:
            series = shown[name].sel(case=case).dropna("time")
            axis.plot(series.time, series, "o-", markersize=3, color=colours[case], label=labels[case])
        axis.axvline(time, color="0.4", linestyle=":", linewidth=1)
        axis.set_xscale("log")
        axis.set_xlabel("time [s]")
        axis.set_ylabel(label)
    threshold = ds.lithiated_fraction.attrs.get("long_name", "")
    axes[0][1].set_title(threshold, fontsize="small")
    axes[0][0].set_title(
        f"dotted: t = {time:.3g} s, the latest report time every cathode case reached", fontsize="small"
    )
    at = shown.sel(time=time)
    for case in shown.case.values:
        profile = at.sel(case=case)
        depth = profile.depth_norm * profile.electrode_thickness / UM
        axes[1][0].plot(profile.c_s_depth - profile.c_s0, depth, color=colours[case], label=labels[case])
        s = profile.s_norm * profile.interface_length / UM
        axes[1][1].plot(s, profile.i_loc, color=colours[case])
    axes[1][0].invert_yaxis()
    gained = (at.c_s_depth - at.c_s0).values
    axes[1][0].set_xscale("symlog", linthresh=max(1e-4 * np.nanmax(np.abs(gained)), np.finfo(float).tiny))
    axes[1][0].set_xlabel("c_s averaged along the length, minus its initial value [mol m-3]")
    axes[1][0].set_ylabel("depth below the top of the cathode [um]")
    axes[1][1].set_xlabel("arc length along the interface [um]")
    axes[1][1].set_ylabel("intercalation current density [A m-2]")
    for axis in axes[1]:
        axis.set_title(f"t = {time:.3g} s", fontsize="small")
    axes[0][0].legend(fontsize="x-small")
    figure.suptitle("cathode lithiation: f-SE against p-3DSE" + (f"; {note}" if note else ""), fontsize="medium")
    return figure


PLOT_AXES = {
    "pillar_width": ("width [um]", 1 / UM),
    "pillar_diameter": ("diameter [um]", 1 / UM),
    "pillar_pitch": ("pitch [um]", 1 / UM),
    "pillar_height": ("height [um]", 1 / UM),
    "pillar_count": ("pillar count [-]", 1.0),
    "substrate_thickness": ("substrate [um]", 1 / UM),
    "D_plus": ("D+ [m2/s]", 1.0),
    "t_plus": ("t+ [-]", 1.0),
    "exchange_current_density": ("i0 [A/m2]", 1.0),
    "current_density": ("applied current [mA/cm2]", 0.1),
    "temperature": ("T [K]", 1.0),
    "D_cathode": ("D_cathode [m2/s]", 1.0),
}
"""Case coordinates a sweep may vary: axis label and factor from the dataset's SI units (a
study without cathode cases has no D_cathode)."""


def sweep(ds, design: str, time: float):
    """One sweep's interface CV of c at ``time`` and time to depletion against what it varies:
    heatmaps over pillar width x pitch (one column per height) with lines against pitch per
    width when both vary; otherwise lines against the first varying parameter, one per value
    of the second. A sweep around a design includes that design's own case."""
    sns.set_theme(style="whitegrid", context="paper")
    members = ds.design == design
    bases = set(ds.base.values[members.values]) - {""}
    shown, note = _shown(ds.sel(case=members | ds.case.isin(list(bases))))
    at = shown.sel(time=time) if "time" in shown.dims else shown
    axes_of = {name: axis for name, axis in PLOT_AXES.items() if name in shown.coords}
    table = pd.DataFrame(
        {label: np.round(shown[name].values * factor, 12) for name, (label, factor) in axes_of.items()}
    )
    table["cv"] = at.c_cv.values
    table["depletion"] = shown.depletion_time.values
    table["cv_error"] = at.c_cv_total_error.values
    table["depletion_error"] = (
        shown.depletion_time_total_error.values if "depletion_time_total_error" in shown else np.nan
    )
    varying = [label for label, _ in axes_of.values() if table[label].nunique() > 1]
    when = f"t = {time:.3g} s" if time is not None else "steady state"
    metrics = {"cv": f"CV of interface c at {when} [-]", "depletion": "time to depletion [s] (blank: none)"}
    sizes = [size for size in ("width [um]", "diameter [um]") if size in varying]
    if sizes and "pitch [um]" in varying:
        figure = _size_pitch_grid(table, metrics, sizes[0])
    else:
        sizes = [label for label in ("width [um]", "diameter [um]") if label in table and table[label].notna().any()]
        x = varying[0] if varying else sizes[0]
        hue = varying[1] if len(varying) > 1 else None
        figure, axes = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained", squeeze=False)
        for axis, (metric, label) in zip(axes[0], metrics.items(), strict=True):
            sns.lineplot(table, x=x, y=metric, hue=hue, marker="o", ax=axis, palette="crest" if hue else None)
            _error_bars(axis, table, x, metric)
            axis.set_ylabel(label)
            if x in ("D+ [m2/s]", "D_cathode [m2/s]"):
                axis.set_xscale("log")
    unconverged = int(((shown.grid_status != "converged") & (shown.error_source == "own")).sum())
    if unconverged:
        note = "; ".join(
            filter(None, [note, f"{unconverged} of {shown.sizes['case']} cases not grid-converged (finest level used)"])
        )
    note = "; ".join(filter(None, [note, _borrowed_note(shown)]))
    title = f"sweep {design}; bars and ±: total numerical error (grid + time)" + (f"; {note}" if note else "")
    figure.suptitle("\n".join(textwrap.wrap(title, width=int(12 * figure.get_figwidth()))), fontsize="medium")
    return figure


def _borrowed_note(shown) -> str:
    """Where the bars of one-level points come from: borrowed from a reference's grid study, or none."""
    parts = []
    for source, words in (
        ("borrowed", "bars borrowed from the grid study of"),
        ("none", "no bar (one level, no reference)"),
    ):
        cases = shown.error_source.values == source
        if cases.any():
            references = sorted(set(shown.error_reference.values[cases]) - {""})
            parts.append(f"{int(cases.sum())} cases: {words}" + (f" {', '.join(references)}" if references else ""))
    flagged = int((shown.coarser_check.values == "exceeds").sum())
    if flagged:
        parts.append(f"{flagged} cases change more than the borrowed bar from one level coarser")
    return "; ".join(parts)


def _size_pitch_grid(table: pd.DataFrame, metrics: dict, size: str):
    """Heatmaps over pillar size (width in 2D, diameter in 3D) x pitch and lines against pitch."""
    heights = sorted(table["height [um]"].unique())
    figure, axes = plt.subplots(4, len(heights), figsize=(4.2 * len(heights), 13), layout="constrained", squeeze=False)
    for column, height in enumerate(heights):
        subset = table[table["height [um]"] == height]
        for row, (metric, label) in enumerate(metrics.items()):
            grid = subset.pivot_table(index=size, columns="pitch [um]", values=metric, dropna=False)
            axis = axes[row][column]
            axis.set_title(f"height {height:g} um", fontsize="small")
            if grid.isna().all(axis=None):
                axis.text(
                    0.5,
                    0.5,
                    f"{label}:\nno value (no case depleted)",
                    ha="center",
                    va="center",
                    transform=axis.transAxes,
                )
                axis.set_axis_off()
                continue
            errors = subset.pivot_table(
                index=size, columns="pitch [um]", values=f"{metric}_error", dropna=False
            ).reindex_like(grid)
            annotations = np.vectorize(
                lambda value, error: (
                    ""
                    if np.isnan(value)
                    else f"{value:.3g}\n±{error:.1%}"
                    if np.isfinite(error)
                    else f"{value:.3g}\n± ?"
                )
            )(grid.values, errors.values)
            sns.heatmap(grid, annot=annotations, fmt="", cmap="viridis", ax=axis, cbar_kws={"label": label})
        for row, (metric, label) in enumerate(metrics.items(), start=2):
            sns.lineplot(subset, x="pitch [um]", y=metric, hue=size, marker="o", ax=axes[row][column], palette="crest")
            _error_bars(axes[row][column], subset, "pitch [um]", metric)
            axes[row][column].set_ylabel(label)
    return figure


def _error_bars(axis, table: pd.DataFrame, x: str, metric: str) -> None:
    """The total (grid + time) error bar of every point of a sweep line."""
    bars = table[metric].abs() * table[f"{metric}_error"]
    shown = np.isfinite(bars) & table[metric].notna()
    if shown.any():
        axis.errorbar(
            table[x][shown],
            table[metric][shown],
            yerr=bars[shown],
            fmt="none",
            ecolor="0.2",
            elinewidth=0.8,
            capsize=3,
            label="error bar (grid + time)",
        )


def ridge_against_cell(ds, time: float | None):
    """2D ridges against 3D cells of the same pillars (:func:`summary.ridge_cell_table`): time to
    depletion and interface CV of c at ``time`` (or of the steady state) per arrangement, one
    group per pillar size, pitch and height, and each cell minus its ridge relative to the ridge,
    all with their total (grid + time) error bars; and the CV of every compared case over time."""
    sns.set_theme(style="whitegrid", context="paper")
    shown, note = _shown(ds)
    comparison = summary.ridge_cell_table(ds, time)
    over_time = time is not None
    figure, axes = plt.subplots(1, 4 if over_time else 3, figsize=(17 if over_time else 13, 4.2), layout="constrained")
    when = f"t = {time:.3g} s" if over_time else "steady state"
    if comparison.empty:
        for axis in axes:
            axis.text(
                0.5, 0.5, "no ridge and cell with the same pillars", ha="center", va="center", transform=axis.transAxes
            )
    else:
        cases = _ridge_cell_cases(comparison)
        for axis, (column, error, label) in zip(
            axes[:2],
            (
                ("depletion_time_s", "depletion_time_error_s", "time to depletion [s]"),
                ("c_cv", "c_cv_error", f"CV of interface c at {when} [-]"),
            ),
        ):
            _grouped_bars(axis, cases, "pillars", "arrangement", column, error)
            axis.set(xlabel="pillar width or diameter / pitch / height [um]", ylabel=label)
        differences = pd.concat(
            [
                pd.DataFrame(
                    {
                        "cell": comparison.lattice.map("3D {} - 2D ridge".format) + ", " + comparison.pillars_um,
                        "quantity": quantity,
                        "percent": 100 * comparison[f"relative_difference_{name}"],
                        "percent_error": 100 * comparison[f"relative_difference_{name}_error"],
                    }
                )
                for name, quantity in (("depletion_time", "time to depletion"), ("c_cv", f"CV of c at {when}"))
            ]
        )
        _grouped_bars(axes[2], differences, "cell", "quantity", "percent", "percent_error")
        axes[2].axhline(0, color="0.3", linewidth=0.8)
        axes[2].set(xlabel="", ylabel="3D cell minus 2D ridge, relative to the ridge [%]")
        axes[2].tick_params(axis="x", labelsize="x-small", labelrotation=15)
        if over_time:
            for case, arrangement, pillars in cases[["case", "arrangement", "pillars"]].itertuples(index=False):
                axes[3].plot(shown.time, shown.c_cv.sel(case=case), marker=".", label=f"{arrangement}, {pillars} um")
            axes[3].set_xscale("log")
            axes[3].set(xlabel="time [s]", ylabel="CV of interface c [-]")
            axes[3].legend(fontsize="x-small")
        unconverged = sorted(
            set(comparison.cell[comparison.cell_grid_status != "converged"])
            | set(comparison.ridge[comparison.ridge_grid_status != "converged"])
        )
        if unconverged:
            note = "; ".join(filter(None, [note, f"not grid-converged (finest level used): {', '.join(unconverged)}"]))
    title = "2D cross-section (ridges) against 3D unit cells (cylinders); bars: total numerical error (grid + time)"
    title += f"; {note}" if note else ""
    figure.suptitle("\n".join(textwrap.wrap(title, width=int(12 * figure.get_figwidth()))), fontsize="medium")
    return figure


def _ridge_cell_cases(comparison: pd.DataFrame) -> pd.DataFrame:
    """Each case of :func:`summary.ridge_cell_table` once: its arrangement, pillars, values and bars."""
    parts = []
    for role in ("ridge", "cell"):
        parts.append(
            pd.DataFrame(
                {
                    "case": comparison[role],
                    "arrangement": "2D ridge" if role == "ridge" else "3D " + comparison.lattice,
                    "pillars": comparison.pillars_um,
                    **{
                        column: comparison[f"{role}_{column}"]
                        for column in ("depletion_time_s", "depletion_time_error_s", "c_cv", "c_cv_error")
                    },
                }
            )
        )
    return pd.concat(parts).drop_duplicates("case").sort_values(["pillars", "arrangement"])


def _grouped_bars(axis, table: pd.DataFrame, x: str, hue: str, y: str, error: str) -> None:
    """Bars of ``y`` per ``x`` category, side by side per ``hue``, each with its ``error`` bar."""
    categories, hues = list(dict.fromkeys(table[x])), sorted(table[hue].unique())
    width = 0.8 / len(hues)
    palette = sns.color_palette("deep", len(hues))
    for index, (name, colour) in enumerate(zip(hues, palette, strict=True)):
        rows = table[table[hue] == name]
        positions = np.array([categories.index(value) for value in rows[x]]) + (index - (len(hues) - 1) / 2) * width
        axis.bar(positions, rows[y], width, color=colour, label=name)
        bars = rows[error].to_numpy(dtype=float)
        known = np.isfinite(bars) & np.isfinite(rows[y].to_numpy(dtype=float))
        axis.errorbar(positions[known], rows[y][known], yerr=bars[known], fmt="none", ecolor="0.15", capsize=3)
    axis.set_xticks(range(len(categories)), categories)
    axis.legend(fontsize="x-small")


def field_snapshot(result, time: float, points, triangles, c, grid_status: str):
    """Salt concentration in the electrolyte (tripcolor) with the interface (the electrode's
    outline, from the case's ``result`` on the same level) in red: the whole cross-section, and a
    zoom on the interface's lowest c spanning a few diffusion lengths sqrt(D_amb t)."""
    sns.set_theme(style="white", context="paper")
    profile = result.sel(time=time, method="nearest") if "time" in result.dims else result
    if "time" in result.dims:
        half = max(6 * np.sqrt(result.attrs["physics_D_ambipolar_m2_s"] * time), 0.05 * UM) / UM
    else:
        half = 10.0
    x, y = result.x.values / UM, result.y.values / UM
    lowest = int(np.argmin(profile.c_interface.values))
    triangulation = Triangulation(points[:, 0] / UM, points[:, 1] / UM, triangles)
    figure, (whole, zoom) = plt.subplots(
        1, 2, figsize=(12, 3.4), gridspec_kw={"width_ratios": [3, 1]}, layout="constrained"
    )
    for axis in (whole, zoom):
        image = axis.tripcolor(triangulation, c, shading="gouraud", cmap="viridis", rasterized=True)
        axis.plot(x, y, color="#d62728", linewidth=1.2, label="interface (electrode outline)")
        axis.set_aspect("equal")
        axis.set_xlabel("x [um]")
        axis.set_ylabel("y [um]")
        axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
    zoom.set_xlim(x[lowest] - half, x[lowest] + half)
    zoom.set_ylim(y[lowest] - half, y[lowest] + half)
    zoom.set_title(
        f"zoom on the lowest interface c ({float(profile.c_interface[lowest]):.4g} mol m-3)", fontsize="small"
    )
    grid = "" if grid_status == "converged" else ", not grid-converged"
    case, level = result.attrs["case"], result.attrs["mesh_level"]
    whole.set_title(f"{case} (level {level}{grid}): c at t = {time:.3g} s", fontsize="small")
    whole.legend(loc="upper left", bbox_to_anchor=(0, -0.35), fontsize="small")
    figure.colorbar(image, ax=zoom, label="c [mol m-3]")
    return figure
