"""Pure figure builders: (atlas, state) -> plotly figures. No Dash imports (the export renders these too).

The map is one go.Choropleth over all 2,477 gminy (locations in geodata order, geometry by URL or dict) plus the
województwa outlines and a focus outline on top. Filter changes only touch a few arrays, computed by
`map_update()`; the dashboard sends them compactly (callbacks.map_changes) and patches the figure in the browser,
the export builds a fresh figure. Bar charts likewise have `*_update()` functions returning only their data arrays.
"""
from __future__ import annotations

import datetime as _dt
import functools
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import (
    display_name,
    escape_markup,
    format_number,
    plotly_separators,
    t,
    voivodeship_name,
    year_label,
)
from dashboard.ingest.datafiles import is_shipped
from dashboard.model import membership, query
from dashboard.model.state import FilterState
from dashboard.view.projection import CENTRE_LAT, range_box_bounds
from dashboard.view.towns import gmina_kind

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"
INK = "#1f2933"
MUTED = "#616e7c"
OTHER_GREY = "#f0f2f5"
BORDER = "#ffffff"
OUTLINE = "#52606d"
FOCUS = "#d7263d"
# Sequential, teal to dark violet (hue and lightness change together; colour-blind safe): every class has at least
# 3:1 contrast against the grey of other gminy and the white borders (WCAG 1.4.11; the lightest is 3.5:1 against
# OTHER_GREY). Neighbouring classes differ by 1.3-1.8:1 only — no 5-step ramp can do 3:1 between neighbours; the
# legend, the hover and the table carry the values.
SEQUENTIAL = ("#2b8f86", "#20798f", "#2a6196", "#36488f", "#3b2c7a", "#2c1250")
# The colour of a number of projects is fixed to the number (not to how many classes a view has), so that "1
# project" is the same colour in every view and every export: 0 (a member without projects), 1, 2, 3, 4 and more
# ever darker. 0 and 1 are the commonest classes and the ones a reader tells apart first (a member with or without a
# project): they are two steps apart (teal, blue; ΔE ~45), the rarer 2, 3 and 4+ one step each.
PROJECT_COLOURS = (SEQUENTIAL[0], SEQUENTIAL[2], SEQUENTIAL[3], SEQUENTIAL[4], SEQUENTIAL[5])
# Okabe–Ito hues (colour-blind safe) for the membership categories, darkened to >= 3:1 against OTHER_GREY.
MEMBERSHIP = {"participant": "#c25400", "member": "#3a8dcc", "member_in": "#08306b"}
BAR = "#1d91c0"
LINE = "#b35c00"  # the published totals (line and right-axis labels): 4.7:1 on white
YEAR_STEP = 5   # the growth chart labels the years that are multiples of this
DEPARTURE = "#b2182b"
TEMPLATE = go.layout.Template()  # empty: keeps every figure's JSON small (plotly's default template is ~7 KB)

MAX_CLASSES = 5
UNDATED_VEIL = "rgba(255,255,255,0.5)"   # over a member known only from a later source: its colour, lighter
LEGEND_WRAP = 24  # characters per line of a legend class label


@dataclass(frozen=True)
class Box:
    """A rectangle, y measured from the top: a map view in projected units (dashboard.view.picture) or a part of
    the press page in CSS px (dashboard.export.page)."""
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Classes:
    """The stepped legend: class i covers values (lower_i, upper_i]; colours[i]; counts[i] gminy."""
    labels: tuple[str, ...]
    colours: tuple[str, ...]
    counts: tuple[int, ...]
    title: str


def classify_projects(values: np.ndarray, lang: str) -> tuple[np.ndarray, Classes]:
    """Class index (0-based) for each in-view gmina's number of projects. Few distinct values -> one class per
    value; otherwise Fisher-Jenks natural breaks (mapclassify), at most MAX_CLASSES classes."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return np.zeros(0, dtype=int), Classes((), (), (), t("legend_title_projects", lang))
    uniq = np.unique(values)
    if len(uniq) <= MAX_CLASSES:
        bins = uniq
    else:
        # 0 (a member with no project in the data) is always a class of its own: it means something else than
        # "few projects"; natural breaks (Fisher-Jenks) for the rest
        zero = uniq[0] == 0
        rest = values[values > 0] if zero else values
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Numba not installed": pure python is fast enough here
            # imported on first use: mapclassify brings scipy and scikit-learn (~1.5 s of a cold start, e.g. of
            # the export CLI), and views with few distinct values never need it
            import mapclassify

            bins = np.unique(mapclassify.FisherJenks(rest, k=MAX_CLASSES - zero).bins)
        bins = np.concatenate([[0.0], bins]) if zero else bins
    idx = np.searchsorted(bins, values, side="left")  # value <= bins[i] -> class i
    counts = np.bincount(idx, minlength=len(bins))
    labels, lower = [], None
    for b in bins:
        lo = int(np.floor(lower)) + 1 if lower is not None else int(values.min())
        hi = int(b)
        if lo >= hi == 0:
            labels.append(t("cls_no_projects", lang))
        else:
            labels.append(format_number(hi, lang) if lo >= hi
                          else f"{format_number(lo, lang)}–{format_number(hi, lang)}")
        lower = b
    colours = project_colours(bins)
    return idx, Classes(tuple(labels), colours, tuple(int(c) for c in counts), t("legend_title_projects", lang))


def project_colours(bins) -> tuple[str, ...]:
    """Colours of classes with these upper bounds: one per number of projects (PROJECT_COLOURS) while every
    class is one value up to 4; natural-breaks classes of larger numbers spread over the palette."""
    uppers = [int(b) for b in bins]
    if len(uppers) == len(set(uppers)) and all(0 <= u < len(PROJECT_COLOURS) for u in uppers) and \
            all(float(b).is_integer() for b in bins):
        return tuple(PROJECT_COLOURS[u] for u in uppers)
    return _spread(SEQUENTIAL, len(uppers))


def _spread(palette: tuple[str, ...], k: int) -> tuple[str, ...]:
    if k <= 0:
        return ()
    if k == 1:
        return (palette[2],)
    pos = np.linspace(0, len(palette) - 1, k).round().astype(int)
    return tuple(palette[i] for i in pos)


def classify_membership(vals: pd.DataFrame, state: FilterState) -> tuple[np.ndarray, Classes]:
    """Categories: participant (not a member), member, member taking part in (chosen) projects."""
    lang = state.lang
    keys = ["participant", "member", "member_in"]
    labels = [t("cls_participant", lang), t("cls_member_out" if state.projects else "cls_member_none", lang),
              t("cls_member_in" if state.projects else "cls_member_any", lang)]
    member = vals["member"].to_numpy(dtype=bool)
    part = vals["participant"].to_numpy(dtype=bool)
    idx = np.where(member & part, 2, np.where(member, 1, 0))
    counts = np.bincount(idx, minlength=3)
    keep = [i for i in range(3) if counts[i] > 0]
    remap = {old: new for new, old in enumerate(keep)}
    idx = np.array([remap[i] for i in idx], dtype=int)
    return idx, Classes(tuple(labels[i] for i in keep), tuple(MEMBERSHIP[keys[i]] for i in keep),
                        tuple(int(counts[i]) for i in keep), t("legend_title_membership", lang))


def map_classes(atlas: Any, state: FilterState) -> tuple[np.ndarray, np.ndarray, Classes]:
    """The map's classification of the gminy for `state`: (in_view mask over atlas.gminy, class index of each
    gmina in view, the classes). The dashboard map and the press legend both use this one function."""
    return _classify(atlas, query.gmina_arrays(atlas, state), state)


def _classify(atlas: Any, arr: dict[str, np.ndarray], state: FilterState
              ) -> tuple[np.ndarray, np.ndarray, Classes]:
    keep = arr["in_view"]
    if state.metric == "membership":
        vals = pd.DataFrame({"member": arr["member"][keep], "participant": arr["participant"][keep]})
        cls, classes = classify_membership(vals, state)
    else:
        cls, classes = classify_projects(arr["n_projects"][keep], state.lang)
    return keep, cls, _dated_title(atlas, state, classes)


def _dated_title(atlas: Any, state: FilterState, classes: Classes) -> Classes:
    """A map dated before its projects (as of 2005, projects of 2016–2023): the date is the membership's alone, so
    the legend's title says the projects' years ("Liczba projektów 2016–2023"), or they read as of that date."""
    span = query.projects_span(atlas, state.projects)
    if not span or query.asof_year(atlas, state) >= span[0]:
        return classes
    key = "legend_title_membership_years" if state.metric == "membership" else "legend_title_projects_years"
    years = f"{span[0]}–{span[1]}" if span[0] < span[1] else str(span[0])
    return replace(classes, title=t(key, state.lang, span=years))


def map_update(atlas: Any, state: FilterState) -> dict[str, Any]:
    """The parts of the map that depend on the filters — small arrays only (what a Patch carries)."""
    d = query.derived(atlas)
    n = len(d.gmina_pos)
    arr = query.gmina_arrays(atlas, state)
    keep, cls, classes = _classify(atlas, arr, state)
    z = np.zeros(n, dtype=int)  # 0 = other gminy
    z[keep] = cls + 1
    k = len(classes.labels)
    # the other gminy of the area the reader chose (all of Poland, or the chosen voivodeships), as the export counts
    area = np.isin(np.asarray(atlas.gminy["woj"]), state.voivodeships) if state.voivodeships else np.ones(n, bool)
    other = int((area & ~keep).sum())
    # long class labels on two lines (<br>): the legend's white box sits on the map's left edge, and a one-line
    # "0 – członek bez projektów w danych (108)" made it cover western Poland at 1440 px
    ticktext = [wrap_label(f"{t('legend_other', state.lang)} ({format_number(other, state.lang)})", LEGEND_WRAP)] + [
        wrap_label(f"{label} ({format_number(c, state.lang)})", LEGEND_WRAP)
        for label, c in zip(classes.labels, classes.counts)
    ]
    selected = [d.gmina_pos[s] for s in state.selected if s in d.gmina_pos]
    undated = arr["undated"] & keep
    n_undated = int(undated.sum())
    title = classes.title
    note = ""
    if n_undated:   # members known only from a later source: the same colour, lighter (legend says so)
        note = t("legend_undated", state.lang, year=query.asof_year(atlas, state),
                 n=format_number(n_undated, state.lang))
        title = f"{title}<br><span style='font-size:10px'>{wrap_label(note, 34)}</span>"
    # the map's date, said with its legend (under the map, where it moves as the play button steps the years)
    date = as_of_text(atlas, state)
    return {
        "legend_title": classes.title, "undated_note": note,  # the HTML legend's title and note (plain text)
        # the lighter colours the note speaks of, as the map draws them (a swatch each beside the note)
        "undated_colours": [veiled(classes.colours[i]) for i in sorted(set((z[undated] - 1).tolist()))],
        "date": date,
        "undated": np.asarray(atlas.gminy["terc"])[undated].tolist(),
        "z": z.tolist(),
        "zmax": k + 0.5,
        "colorscale": _stepped((OTHER_GREY,) + classes.colours),
        "colorbar": {"tickvals": list(range(k + 1)), "ticktext": ticktext,
                     "title": {"text": title}},
        "selectedpoints": selected if selected else None,
        "focus": [state.focus] if state.focus in d.gmina_pos else [],
        "focus_label": focus_label(atlas, state, arr["in_view"]) if state.focus else "",
    }


def focus_label(atlas: Any, state: FilterState, in_view: np.ndarray) -> str:
    """The legend's line for the chosen town's outline; it says so when the filters leave the town's gmina out
    (drawn without a colour: a reader took the grey for a town the union does not know). `in_view`: per gmina."""
    pos = query.derived(atlas).gmina_pos.get(state.focus)
    outside = pos is not None and not in_view[pos]
    return t("town_outline_outside" if outside else "town_outline", state.lang,
             town=query.town_name(atlas, state.focus))


def _stepped(colours: tuple[str, ...]) -> list[list]:
    """A discrete colorscale for integer z in 0..k-1 with zmin=-0.5, zmax=k-0.5."""
    k = len(colours)
    out: list[list] = []
    for i, c in enumerate(colours):
        out.append([i / k, c])
        out.append([(i + 1) / k, c])
    return out


def hover_texts(atlas: Any, lang: str) -> tuple[str, ...]:
    """The hover text per gmina (feature order): its voivodeship, then for gminy with cities in the data each
    city with join year (or unknown) and projects. The gmina name and TERYT come from the GeoJSON feature
    (%{properties.name}, %{location}) and the separators from HOVER, so a gmina without cities costs only its
    voivodeship's name (measured: /_dash-layout 147 -> 178 KB raw, +0.5 KB gzip). Names and labels from the data
    are escaped: plotly reads markup in hover texts. Depends on the atlas and the language only: built once per
    language, not for every map figure and page."""
    return query.atlas_memo(atlas, ("hover_texts", lang), lambda: tuple(_hover_texts(atlas, lang)))


def _hover_texts(atlas: Any, lang: str) -> list[str]:
    d = query.derived(atlas)
    gm = atlas.gminy
    ent = d.entities[d.entities["gmina_teryt"].notna()]
    plabel = query.project_labels(atlas, lang)
    extra: dict[str, list[str]] = {}
    gmina_name = dict(zip(gm["terc"], gm["name"]))
    per_gmina = ent["gmina_teryt"].value_counts()
    for e in ent.itertuples(index=False):
        status = (f"{t('join_year', lang)}: {year_label(e.join_year, lang)}" if e.is_member
                  else t("not_member", lang))
        projects = ", ".join(escape_markup(plabel.get(p, p)) for p in e.project_ids) or t("hover_none", lang)
        # the city's name, unless it is the gmina's (its heading) and the gmina's only city
        named = e.name != gmina_name.get(e.gmina_teryt) or per_gmina[e.gmina_teryt] > 1
        head = f"<b>{escape_markup(display_name(e.name, lang))}</b> · " if named else ""
        extra.setdefault(e.gmina_teryt, []).append(f"<br>{head}{status}<br>{t('hover_projects', lang)}: {projects}")
    # a name two gminy share (Pabianice, urban and rural) says which one: the rural one read as the member city
    shared = gm["name"].map(gm["name"].value_counts()) > 1
    kinds = gm["gmina_type"] if "gmina_type" in gm else [0] * len(gm)
    kind = {terc: f"{gmina_kind(int(k), lang)} · " for terc, k, s in zip(gm["terc"], kinds, shared)
            if s and k in (1, 2, 3)}
    voiv = {terc: kind.get(terc, "") + escape_markup(voivodeship_name(v, lang))
            for terc, v in zip(gm["terc"], gm["voivodeship"])}
    return [voiv[terc] + "".join(extra.get(terc, ())) for terc in gm["terc"]]


HOVER = "<b>%{properties.name}</b><br>TERYT %{location} · %{text}<extra></extra>"


# Poland in a conic conformal projection (standard parallels 49°/55°, central meridian = middle of the view).
GEO = {
    # rotation = the middle of lonaxis.range, always (see geo_view)
    "projection": {"type": "conic conformal", "parallels": [49, 55], "rotation": {"lon": 19.15}, "scale": 1},
    "center": {"lon": 19.15, "lat": 51.925},  # the middle of the lon/lat ranges
    "lonaxis": {"range": [14.0, 24.3]},
    "lataxis": {"range": [48.95, 54.9]},
    "visible": False,
    "showframe": False,
    "domain": {"x": [0.17, 1.0], "y": [0.0, 1.0]},  # the stepped legend sits left of the map
    "bgcolor": "rgba(0,0,0,0)",
}


def _gminy_trace(atlas: Any, upd: dict[str, Any], geojson: str | dict, lang: str, colorbar: bool) -> go.Choropleth:
    """Trace 0: the gminy coloured by class, with the stepped colorbar (shown only when `colorbar`)."""
    k = len(upd["colorbar"]["tickvals"])
    return go.Choropleth(
        geojson=geojson, featureidkey="id", locations=np.asarray(atlas.gminy["terc"], dtype=object),
        z=np.asarray(upd["z"], dtype=np.int8), zmin=-0.5, zmax=upd["zmax"], colorscale=upd["colorscale"],
        autocolorscale=False, showscale=colorbar,
        marker={"line": {"color": BORDER, "width": 0.3}},
        text=np.asarray(hover_texts(atlas, lang), dtype=object), hovertemplate=HOVER,
        selectedpoints=upd["selectedpoints"],
        selected={"marker": {"opacity": 1}}, unselected={"marker": {"opacity": 0.35}},
        # without the colorbar (the dashboard's HTML legend) its texts are left out: no Patch has to keep them
        colorbar={
            "tickvals": upd["colorbar"]["tickvals"], "ticktext": upd["colorbar"]["ticktext"],
            "title": {"text": upd["colorbar"]["title"]["text"], "side": "top", "font": {"size": 12}},
            "x": 0.0, "xanchor": "left", "y": 0.02, "yanchor": "bottom", "len": min(0.12 * k + 0.08, 0.6),
            "thickness": 14, "outlinewidth": 0, "tickfont": {"size": 11}, "bgcolor": "rgba(255,255,255,0.85)",
            "ypad": 6, "xpad": 6,
        } if colorbar else None,
        name="gminy",
    )


CLEAR_SCALE = [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]]


def _overlay(geojson: str | dict, locations: list[str], name: str, marker: dict, colorscale: list = CLEAR_SCALE,
             **extra: Any) -> go.Choropleth:
    """A trace drawn over the gminy (outlines, the focus, the veil): no colours of its own, no hover."""
    return go.Choropleth(geojson=geojson, featureidkey="id", locations=locations, z=[0] * len(locations),
                         colorscale=colorscale, showscale=False, marker=marker, hoverinfo="skip", name=name, **extra)


def map_figure(atlas: Any, state: FilterState, geojson: str | dict, *, outline: str | dict | None = None,
               height: int | None = None, colorbar: bool = True) -> go.Figure:
    """The full map: gminy (trace 0), województwa outlines (trace 1, when `outline` is given), focus (trace 2).

    geojson: the gminy GeoJSON — the hashed asset URL in the app, a dict for exports (feature id = TERYT).
    colorbar: False for the dashboard, which shows the classes as an HTML legend beside/under the map
    (`legend_items`): the map then takes the figure's whole width and no legend box can cover the country.
    """
    lang = state.lang
    upd = map_update(atlas, state)
    traces = [
        _gminy_trace(atlas, upd, geojson, lang, colorbar),
        # Trace 1: województwa outlines (empty when no outline is given, so trace indices never shift).
        _overlay(outline if outline is not None else geojson,
                 list(query.voivodeship_names(atlas)) if outline is not None else [], "województwa",
                 {"line": {"color": OUTLINE, "width": 1.1}}, unselected={"marker": {"opacity": 1}}),
        # Trace 2: the gmina found by the town search.
        _overlay(geojson, upd["focus"], "focus", {"line": {"color": FOCUS, "width": 2.5}}),
        # Trace 3: a white veil over gminy whose members are known only from later sources (lighter = status
        # unknown).
        _overlay(geojson, upd["undated"], "undated", {"line": {"width": 0}},
                 colorscale=[[0, UNDATED_VEIL], [1, UNDATED_VEIL]]),
    ]
    geo = geo_view(atlas, state.focus, state.voivodeships)
    meta = None
    if not colorbar:   # the live map (its legend is HTML): the whole figure, fitted to its frame in the browser
        geo["domain"] = {"x": [0.0, 1.0], "y": [0.0, 1.0]}
        meta = {"frames": map_frames()}
    # the layout given to the constructor, not to update_layout: the same figure without plotly's relayout
    # machinery (a third of map_figure's time, measured)
    return go.Figure(traces, layout=dict(
        template=TEMPLATE, geo=geo, margin={"l": 0, "r": 0, "t": 0, "b": 0}, dragmode="select",
        font={"family": FONT, "color": INK, "size": 12}, separators=plotly_separators(lang),
        paper_bgcolor="rgba(0,0,0,0)", hoverlabel={"bgcolor": "white", "font": {"family": FONT, "size": 12}},
        uirevision=view_key(state), clickmode="event", height=height, meta=meta,
        # toolbar icons: 6.5:1 (inactive) and 12:1 (active) on the white bar, not plotly's 1.6:1 grey
        modebar={"bgcolor": "rgba(255,255,255,0.92)", "color": OUTLINE, "activecolor": "#0b3954"},
    ))


def veiled(colour: str) -> str:
    """A class colour under the map's white veil (UNDATED_VEIL, white at half opacity): half way to white."""
    r, g, b = (int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return "#{:02x}{:02x}{:02x}".format(*((c + 255) // 2 for c in (r, g, b)))


def legend_items(upd: dict[str, Any]) -> list[tuple[str, str]]:
    """(colour, text) of every map class, other gminy first: the HTML legend of the dashboard (from map_update)."""
    colours = [c for _, c in upd["colorscale"][::2]]
    texts = [str(x).replace("<br>", " ") for x in upd["colorbar"]["ticktext"]]
    return list(zip(colours, texts))


FRAME_HALF_LATS = tuple(round(0.5 * 1.07 ** i, 5) for i in range(58))   # 0.5° .. 23°: frame shapes ~3.6 .. 0.4


@functools.lru_cache(maxsize=1)
def map_frames() -> dict[str, Any]:
    """For the live map (assets/atlas-frame.js): plotly clips a geo map to its lon/lat range box as fitted into the
    plot (dashboard.view.projection), so with Poland's box in a frame of another shape a zoomed view is cut along
    straight lines inside the frame. Rows [aspect, lat0, lat1, box width, box height] (projected units) of ranges
    with Poland's longitudes and latitude spans around its middle (FRAME_HALF_LATS), by growing aspect (width /
    height); and Poland's own box, from which the views' scales are counted."""
    lon = [round(x, 6) for x in GEO["lonaxis"]["range"]]
    rows = []
    for half in FRAME_HALF_LATS:
        lat = (round(CENTRE_LAT - half, 5), round(CENTRE_LAT + half, 5))
        x0, y0, x1, y1 = range_box_bounds(lon, lat)
        rows.append([round((x1 - x0) / (y1 - y0), 5), *lat, round(x1 - x0, 6), round(y1 - y0, 6)])
    x0, y0, x1, y1 = range_box_bounds(lon, GEO["lataxis"]["range"])
    return {"lon": lon, "rows": sorted(rows), "poland": [round(x1 - x0, 6), round(y1 - y0, 6)],
            "poland_lat": list(GEO["lataxis"]["range"])}


FOCUS_SCALE = 6.0  # a found town: ~1/6 of Poland's extent around it


def geo_view(atlas: Any, focus: str | None, voivodeships: tuple[str, ...] = ()) -> dict[str, Any]:
    """Whole Poland, the chosen województwa, or the surroundings of the found town.

    Measured with plotly 7.1: the lon/lat ranges stay Poland's and the rotation stays their middle; zooming is
    done with projection.scale around geo.center. (Narrowing the lon/lat ranges instead makes plotly clip the
    map to that box, with hard edges; a rotation other than the ranges' middle puts the map off-centre.)"""
    geo = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GEO.items()}
    geo["projection"] = dict(GEO["projection"])
    centre, scale = None, 1.0
    if focus:
        centre = focus_centre(atlas, focus)
        scale = FOCUS_SCALE
    elif voivodeships:
        box = voivodeship_box(atlas, voivodeships)
        if box is not None:
            (x0, x1), (y0, y1) = box
            (px0, px1), (py0, py1) = GEO["lonaxis"]["range"], GEO["lataxis"]["range"]
            centre = ((x0 + x1) / 2, (y0 + y1) / 2)
            scale = max(1.0, 0.95 * min((px1 - px0) / (x1 - x0), (py1 - py0) / (y1 - y0)))
    if centre is not None:
        geo["center"] = {"lon": centre[0], "lat": centre[1]}
        geo["projection"]["scale"] = scale
    return geo


def voivodeship_box(atlas: Any, voivodeships: tuple[str, ...], pad: float = 0.35):
    """lon/lat ranges around the gminy of the chosen województwa (their inner points, padded)."""
    centres = query.derived(atlas).gmina_centres
    pts = [xy for terc, xy in centres.items() if terc[:2] in voivodeships]
    if not pts:
        return None
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return ((min(xs) - pad, max(xs) + pad), (min(ys) - pad * 0.6, max(ys) + pad * 0.6))


def focus_centre(atlas: Any, terc: str) -> tuple[float, float] | None:
    """Where to zoom for a gmina: the point of a city in it when known, else the centre of its polygon."""
    d = query.derived(atlas)
    ent = d.entities[(d.entities["gmina_teryt"] == terc) & d.entities["lon"].notna()]
    if len(ent):
        return float(ent["lon"].iloc[0]), float(ent["lat"].iloc[0])
    return d.gmina_centres.get(terc)


def map_view_update(atlas: Any, state: FilterState) -> dict[str, Any]:
    """geo lon/lat ranges and center for the state's focus, the chosen województwa, or the whole country."""
    geo = geo_view(atlas, state.focus, state.voivodeships)
    return {"center": geo["center"], "scale": geo["projection"]["scale"],
            # a new ui revision, or plotly keeps the previous view on react
            "uirevision": view_key(state)}


def view_key(state: FilterState) -> str:
    """What decides the map's view: a new key = a new view (and a new plotly uirevision)."""
    return f"map-{state.focus or ','.join(state.voivodeships) or 'pl'}"


# --- bar charts ----------------------------------------------------------------------------------------------
def _bar_layout(lang: str, **extra: Any) -> dict[str, Any]:
    layout = dict(
        template=TEMPLATE, font={"family": FONT, "color": INK, "size": 12}, separators=plotly_separators(lang),
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", dragmode="select", showlegend=False,
        hoverlabel={"bgcolor": "white", "font": {"family": FONT, "size": 12}}, clickmode="event+select",
        bargap=0.25, uirevision="bars",
    )
    layout.update(extra)
    return layout


def growth_years(atlas: Any) -> list[int]:
    """Every year from the first known join year / post-1990 published total to the last one."""
    return list(query.atlas_memo(atlas, "growth_years", lambda: tuple(_growth_years(atlas))))


def _growth_years(atlas: Any) -> list[int]:
    """1990 (ZMP re-established) to the newest year any source or published total speaks of."""
    lo, hi = query.year_range(atlas)
    return list(range(lo, hi + 1))


def published_totals(atlas: Any) -> pd.DataFrame:
    """The post-1990 published membership totals, the last one of each year (by date); once per atlas (the
    group-by took ~30 ms of every chart answer). Not to be modified."""
    def build() -> pd.DataFrame:
        totals = atlas.totals[atlas.totals["era"] == "post1990"] if "era" in atlas.totals else atlas.totals
        order = ["year", "as_of"] if "as_of" in totals else ["year"]
        return totals.sort_values(order, kind="stable").groupby("year", as_index=False).last()
    return query.atlas_memo(atlas, "published_totals", build)


def _nice_step(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is >= value."""
    if value <= 0:
        return 1.0
    power = 10 ** np.floor(np.log10(value))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value * (1 - 1e-9)))


def totals_axis(atlas: Any) -> tuple[int, float]:
    """(number of tick intervals, tick step) of the published-totals axis: round ticks (0, 100, … 400 for a top of
    333). The new-members axis uses the same number of intervals, so both axes' ticks sit on one grid."""
    return query.atlas_memo(atlas, "totals_axis", lambda: _totals_axis(atlas))


def _totals_axis(atlas: Any) -> tuple[int, float]:
    last = published_totals(atlas)
    top = float(last["members"].max()) if len(last) else 0.0
    if top <= 0:
        return 4, 1.0
    best = min(((n, _nice_step(top * 1.04 / n)) for n in (4, 5, 3)), key=lambda ns: ns[0] * ns[1])
    return best


def growth_update(atlas: Any, state: FilterState) -> dict[str, Any]:
    """Trace 0: dated joins per year (up); trace 1: the published totals (line); trace 2: the 'year unknown' bar
    (own panel, own scale) = members at the date without a dated join; trace 3: dated departures (down);
    trace 4: dated members in the data at each year's end (the known part of the published totals)."""
    joins, departures = query.flow_counts(atlas, state)
    _, unknown = query.growth_counts(atlas, state)
    known = query.members_by_year(atlas, state)
    years = growth_years(atlas)
    y = [int(joins.get(year, 0)) for year in years]
    left = [int(departures.get(year, 0)) for year in years]
    down = [-n for n in left]
    dated = [int(known["dated"].get(year, 0)) for year in years]
    if state.years is None and state.include_unknown_year:
        sel, unknown_sel = None, None
    else:
        lo, hi = state.years if state.years is not None else (-1, 10_000)
        sel = [i for i, year in enumerate(years) if lo <= year <= hi]
        unknown_sel = [0] if state.include_unknown_year else []
    top = max(y) if y else 0
    n, totals_step = totals_axis(atlas)
    step = max(1, -(-int(np.ceil(top * 1.08)) // n))  # whole members per tick, a little headroom above the top bar
    below = -(-max([0, *(-v for v in down)]) // step)   # whole ticks under zero for the departures
    return {"y": y, "down": down, "left": left, "dated": dated, "selectedpoints": sel, "unknown_y": [unknown],
            "unknown_selectedpoints": unknown_sel, "below": int(below), "totals_step": totals_step,
            "yaxis": {"range": [-below * step, n * step], "dtick": step}}


def as_of_text(atlas: Any, state: FilterState, lang: str | None = None) -> str:
    """'stan na 31.12.2020' / 'as of 31 Dec 2020': the end of the view's year (the map's legend, the embed's head,
    the exports' subtitle). Participation has no dates of its own, only its projects' years (the legend's title
    says them): a view of chosen projects that all began after its year says the date is membership's ('stan
    członkostwa na 31.12.2010'), or a project of 2019 read as having had participants in 2010."""
    lang = lang or state.lang
    year = query.asof_year(atlas, state)
    span = query.projects_span(atlas, state.projects) if state.projects else None
    key = "asof_membership" if span and year < span[0] else "export_asof"
    return t(key, lang, date=date_label(membership.year_end(year), lang))


def date_label(as_of: Any, lang: str) -> str:
    """'2020-12-31' -> '31.12.2020' (pl) / '31 Dec 2020' (en); '2008-02' -> '02.2008' / 'Feb 2008'."""
    text = str(as_of or "").strip()
    parts = text.split("-")
    if not all(p.isdigit() for p in parts) or not 1 <= len(parts) <= 3:
        return text
    if lang == "pl":
        return ".".join(reversed(parts))
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    if len(parts) >= 2 and 1 <= int(parts[1]) <= 12:
        parts[1] = months[int(parts[1]) - 1]
    if len(parts) == 3:
        parts[2] = str(int(parts[2]))   # "1 Dec 2026"
    return " ".join(reversed(parts))


def _source_host(source: Any) -> str:
    """The site a source text cites first ('… - https://www.miasta.pl/aktualnosci/…' -> 'www.miasta.pl')."""
    import re
    from urllib.parse import urlparse

    m = re.search(r"https?://[^\s;,)]+", str(source or ""))
    return urlparse(m.group(0)).hostname or "" if m else ""


def _totals_trace(atlas: Any, lang: str) -> go.Scatter:
    """The published membership totals (right axis), with their date and source on hover. A year without a
    published total is a gap in the line: 64 members in 1991 and 307 in 2008 are two points, not a straight rise
    through seventeen years nobody counted."""
    last = published_totals(atlas)
    as_of = last["as_of"] if "as_of" in last else last["year"]
    found = {int(year): (int(n), [escape_markup(date_label(d, lang)), escape_markup(_source_host(src))])
             for year, n, d, src in zip(last["year"], last["members"], as_of,
                                        last["source"] if "source" in last else [""] * len(last))}
    years = sorted(set(growth_years(atlas)) | set(found))
    return go.Scatter(
        x=[str(y) for y in years], y=[found[y][0] if y in found else None for y in years],
        customdata=[found[y][1] if y in found else ["", ""] for y in years], yaxis="y2", mode="lines+markers",
        line={"color": LINE, "width": 2}, marker={"size": 6}, name=t("known_totals", lang), connectgaps=False,
        hovertemplate=("<b>%{y:,d}</b> " + t("members_genitive", lang) + " · " + t("as_of", lang)
                       + " %{customdata[0]}<br>" + t("source", lang) + ": %{customdata[1]}<extra>"
                       + t("known_totals", lang) + "</extra>"),
    )


def _growth_axes(atlas: Any, cats: list[str], upd: dict[str, Any], lang: str) -> dict[str, Any]:
    """The known years (x, left axis), the totals (right axis) and the 'year unknown' panel (x2, y3)."""
    n_ticks, totals_step = totals_axis(atlas)
    return dict(
        # every fifth year, level: one slanted 10 px label for every second year was hard to read, on a phone
        # above all (hover gives each bar's year)
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": cats, "fixedrange": True,
               "tickmode": "array", "tickvals": [c for c in cats if int(c) % YEAR_STEP == 0], "tickangle": 0,
               "tickfont": {"size": 10}, "automargin": True, "domain": [0, 0.8]},
        yaxis={"fixedrange": True, "gridcolor": "#eef1f4", "tickformat": ",d", "tickmode": "linear", "tick0": 0,
               **upd["yaxis"],
               # short: the legend says what each bar counts (the legend's words ran into it on a phone)
               "title": {"text": t("joins_axis", lang), "font": {"size": 11}}, "automargin": True},
        # the published totals: round ticks (0, 100, … 400), as many intervals as the left axis, so that the
        # left axis's grid serves both (no second grid, no odd values like 68, 136 from plotly's tick syncing)
        # (below 0, where the left axis counts departures, a total has no ticks: there is no negative total)
        yaxis2={"overlaying": "y", "side": "right", "anchor": "x", "fixedrange": True, "showgrid": False,
                "zeroline": False, "tickmode": "array", "tickvals": [i * totals_step for i in range(n_ticks + 1)],
                "range": [-upd["below"] * totals_step, n_ticks * totals_step], "tickfont": {"color": LINE, "size": 10},
                "tickformat": ",d"},
        xaxis2={"type": "category", "domain": [0.89, 1.0], "fixedrange": True, "tickfont": {"size": 10},
                "tickangle": 0,
                "anchor": "y3"},
        yaxis3={"anchor": "x2", "fixedrange": True, "rangemode": "tozero", "showticklabels": False,
                "showgrid": False, "zeroline": True},
    )


def growth_figure(atlas: Any, state: FilterState) -> go.Figure:
    """New members per join year (bars), published membership totals (line, right axis), and an explicit
    'year unknown' bar in its own panel on the right, so that its size does not flatten the known years."""
    lang = state.lang
    cats = [str(y) for y in growth_years(atlas)]
    upd = growth_update(atlas, state)
    unknown_label = wrap_label(t("year_unknown", lang), 6)
    fig = go.Figure()
    fig.add_bar(
        x=cats, y=upd["y"], marker={"color": BAR}, name=t("new_members", lang), customdata=upd["dated"],
        selectedpoints=upd["selectedpoints"], selected={"marker": {"opacity": 1}},
        unselected={"marker": {"opacity": 0.3}},
        hovertemplate="%{x}: %{y}<br>" + t("known_dated", lang) + ": %{customdata}<extra>" + t("new_members", lang)
                      + "</extra>",
    )
    fig.add_trace(_totals_trace(atlas, lang))
    fig.add_bar(
        x=[unknown_label], y=upd["unknown_y"], xaxis="x2", yaxis="y3", marker={"color": MUTED},
        name=unknown_label, showlegend=False, selectedpoints=upd["unknown_selectedpoints"],
        selected={"marker": {"opacity": 1}}, unselected={"marker": {"opacity": 0.3}},
        texttemplate="%{y}", textposition="outside", cliponaxis=False, textfont={"size": 10, "color": MUTED},
        hovertemplate="%{x}: %{y}<extra></extra>",
    )
    fig.add_bar(
        x=cats, y=upd["down"], marker={"color": DEPARTURE}, name=t("departures", lang), customdata=upd["left"],
        # drawn down, read as a count: "2004: 2", not "-2"
        hovertemplate="%{x}: %{customdata}<extra>" + t("departures", lang) + "</extra>",
    )
    # drawn over the bars of one or two members, its hover took theirs: its numbers are in the bars' hover
    fig.add_scatter(
        x=cats, y=upd["dated"], yaxis="y2", mode="lines", line={"color": BAR, "width": 1.5, "dash": "dot"},
        name=t("known_dated", lang), hoverinfo="skip",
    )
    fig.update_layout(**_bar_layout(
        lang, margin={"l": 34, "r": 8, "t": 8, "b": 40}, showlegend=True,
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 11}},
        **_growth_axes(atlas, cats, upd, lang),
    ))
    return fig


def voivodeship_update(atlas: Any, state: FilterState) -> dict[str, Any]:
    names = query.voivodeship_names(atlas)
    counts = query.voivodeship_counts(atlas, state).sort_values(kind="stable")
    codes = list(counts.index)
    sel = [i for i, c in enumerate(codes) if c in state.voivodeships] if state.voivodeships else None
    return {"x": counts.tolist(), "y": [voivodeship_name(names[c], state.lang) for c in codes], "customdata": codes,
            "text": [format_number(v, state.lang) for v in counts.tolist()], "selectedpoints": sel}


def wrap_label(text: str, width: int = 26) -> str:
    """Break a long category label into lines of at most ~width characters (plotly <br>)."""
    return "<br>".join(wrap_lines(text, width))


def wrap_lines(text: str, width: int = 26) -> list[str]:
    """The lines of at most ~width characters a label breaks into, at spaces."""
    words, lines, line = [w for w in str(text).split(" ") if w], [], ""  # not at no-break spaces ("2 469")
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return lines


def shorten(text: str, width: int = 30) -> str:
    """One-line label: cut at a word boundary with an ellipsis (the full text is in the hover); a quotation cut
    open keeps its closing mark („Jedno dla…”)."""
    text = str(text)
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0].rstrip(" –-,")
    closing = "”" if cut.count("„") + cut.count("“") > cut.count("”") else ""
    return cut + "…" + closing


def bar_label(text: str, width: int = 24) -> str:
    """A bar's category label as plotly markup (escaped): up to two lines of ~width characters, shortened only
    beyond them."""
    lines = wrap_lines(text, width)   # a "<br>" in the data is text, not a line break
    if len(lines) > 2:
        lines = [lines[0], shorten(" ".join(lines[1:]), width + 6)]
    return "<br>".join(escape_markup(line) for line in lines)


def _hbar_figure(upd: dict[str, Any], lang: str, axis_title: str) -> go.Figure:
    """Horizontal bars (voivodeships, projects): category on y, count on x, ids in customdata for clicks."""
    fig = go.Figure(go.Bar(
        orientation="h", x=upd["x"], y=upd["y"], customdata=upd["customdata"], marker={"color": BAR},
        hovertext=upd.get("hovertext", upd["y"]), text=upd["text"],
        selectedpoints=upd["selectedpoints"], selected={"marker": {"opacity": 1}},
        unselected={"marker": {"opacity": 0.3}}, hovertemplate="%{hovertext}: %{text}<extra></extra>",
        texttemplate="%{text}", textposition="outside", cliponaxis=False, textfont={"size": 10, "color": MUTED},
    ))
    fig.update_layout(**_bar_layout(
        lang, margin={"l": 8, "r": 28, "t": 4, "b": 24}, bargap=0.2,
        # every bar carries its value as text: no tick labels (with small counts plotly's ticks 0, 0.2, … read
        # "0 0 0 1 1 1" under ",d")
        xaxis={"fixedrange": True, "gridcolor": "#eef1f4", "rangemode": "tozero", "showticklabels": False,
               "title": {"text": axis_title, "font": {"size": 11}}},
        yaxis={"fixedrange": True, "automargin": True, "tickfont": {"size": 11}, "type": "category"},
    ))
    return fig


def voivodeship_figure(atlas: Any, state: FilterState) -> go.Figure:
    return _hbar_figure(voivodeship_update(atlas, state), state.lang, t("members", state.lang))


def project_update(atlas: Any, state: FilterState) -> dict[str, Any]:
    d = query.derived(atlas)
    counts = dict(zip(d.project_ids, query.project_counts(atlas, state).tolist()))
    plabel = query.project_labels(atlas, state.lang)
    ids = list(reversed(d.project_ids))  # first project on top
    sel = [i for i, p in enumerate(ids) if p in state.projects] if state.projects else None
    full = [str(plabel.get(p, p)) for p in ids]   # labels from the data: escaped for plotly's markup
    # a project no source lists the participants of: "no list", not a 0 read as "none took part"
    listed = query.listed_projects(atlas)
    text = [format_number(counts[p], state.lang) if p in listed else t("no_list", state.lang) for p in ids]
    return {"x": [int(counts[p]) for p in ids], "y": [bar_label(f) for f in full],
            "hovertext": [escape_markup(f) for f in full], "text": text,
            "customdata": ids,
            "selectedpoints": sel}


def project_figure(atlas: Any, state: FilterState) -> go.Figure:
    return _hbar_figure(project_update(atlas, state), state.lang, t("participants", state.lang))


def data_date_line(atlas: Any, lang: str, today: _dt.date | None = None) -> str:
    """'Stan danych: 24.06.2025 (dane publiczne, lista członków niepełna) · wygenerowano 01.12.2026': both dates as
    the page writes dates; the caveat only for the shipped public member list (not for an office's register)."""
    today = today or _dt.date.today()
    members = getattr(atlas.report, "files", {}).get("members")
    caveat = t("export_public_caveat", lang) if members is None or is_shipped(members) else ""
    return t("export_date_line", lang, date=date_label(membership.data_date(atlas), lang), caveat=caveat,
             today=date_label(today.isoformat(), lang))
