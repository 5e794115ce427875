"""Every user-facing string of the dashboard, in Polish (default) and English, and the number formats.

Polish numbers: decimal comma, a non-breaking space as thousands separator ("22 500", "87,7 mln").
English numbers: decimal point, comma thousands separator ("22,500", "87.7 million").
No Dash imports (figures and the export use this too).
"""
from __future__ import annotations

import math
import unicodedata
from typing import Any

NBSP = "\u00a0"
DEFAULT_LANG = "pl"

TEXT: dict[str, dict[str, str]] = {
    "title": {"pl": "Atlas Związku Miast Polskich", "en": "Atlas of the Association of Polish Cities"},
    "subtitle": {"pl": "Miasta członkowskie, projekty i rozwój Związku", "en": "Member cities, projects and growth"},
    "lang_toggle_label": {"pl": "Język", "en": "Language"},
    "strip_heading": {"pl": "Rok 2020 w liczbach", "en": "2020 in numbers"},
    "strip_published": {"pl": "dane ZMP", "en": "ZMP figures"},
    "strip_in_data": {"pl": "w danych publicznych", "en": "in the public data"},
    "members_shown": {"pl": "Członkowie na mapie", "en": "Members on the map"},
    "participants_shown": {"pl": "Uczestnicy projektów na mapie", "en": "Project participants on the map"},
    "source": {"pl": "Źródło", "en": "Source"},
    "coverage": {
        "pl": "{members} z {total} członków (koniec 2020 r.) jest w danych publicznych; rok przystąpienia znany "
              "dla {known_year}.",
        "en": "{members} of {total} members (end of 2020) are in the public data; join year known for "
              "{known_year}.",
    },
    "coverage_sources": {"pl": "Źródła danych", "en": "Data sources"},
    "coverage_view": {"pl": "W widoku: {n} miast", "en": "In view: {n} cities"},
    "filters": {"pl": "Filtry", "en": "Filters"},
    "projects": {"pl": "Projekty", "en": "Projects"},
    "projects_placeholder": {"pl": "Wybierz projekty…", "en": "Choose projects…"},
    "match": {"pl": "Dopasowanie", "en": "Match"},
    "match_any": {"pl": "dowolny", "en": "any"},
    "match_all": {"pl": "wszystkie", "en": "all"},
    "voivodeships": {"pl": "Województwa", "en": "Voivodeships"},
    "voivodeships_placeholder": {"pl": "Cała Polska", "en": "All of Poland"},
    "join_years": {"pl": "Rok przystąpienia", "en": "Join year"},
    "include_unknown": {"pl": "uwzględnij rok nieznany", "en": "include unknown year"},
    "town_search": {"pl": "Szukaj miasta", "en": "Find a town"},
    "town_placeholder": {"pl": "np. Łódź, Bielsko…", "en": "e.g. Łódź, Bielsko…"},
    "clear_all": {"pl": "Wyczyść wszystko", "en": "Clear all"},
    "active_filters": {"pl": "Aktywne filtry", "en": "Active filters"},
    "no_filters": {"pl": "brak – cała Polska", "en": "none – all of Poland"},
    "remove_filter": {"pl": "Usuń filtr", "en": "Remove filter"},
    "metric": {"pl": "Kolor mapy", "en": "Map colour"},
    "metric_projects": {"pl": "liczba projektów", "en": "number of projects"},
    "metric_membership": {"pl": "członkostwo / udział", "en": "membership / participation"},
    "map_title": {"pl": "Mapa gmin", "en": "Map of gminy"},
    "map_sr": {"pl": "Mapa gmin Polski. Te same dane zawiera tabela „Miasta w widoku” pod wykresami.",
               "en": "Map of Poland's gminy. The table “Cities in view” below the charts holds the same data."},
    "map_empty": {"pl": "Żadne miasto w danych nie spełnia wybranych filtrów.",
                  "en": "No city in the data matches the chosen filters."},
    "map_help": {
        "pl": "Kliknij gminę, aby zobaczyć szczegóły; zaznacz prostokątem lub lasso, aby filtrować wykresy.",
        "en": "Click a gmina for details; draw a box or lasso to filter the charts.",
    },
    "growth_title": {"pl": "Przystąpienia wg roku", "en": "Members joining by year"},
    "voiv_title": {"pl": "Członkowie wg województw", "en": "Members by voivodeship"},
    "project_title": {"pl": "Uczestnicy wg projektów", "en": "Participants by project"},
    "new_members": {"pl": "nowi członkowie (rok znany)", "en": "new members (known year)"},
    "known_totals": {"pl": "liczba członków (opublikowana)", "en": "membership total (published)"},
    "members_genitive": {"pl": "członków", "en": "members"},  # after a number (the totals are all > 4)
    "as_of": {"pl": "stan na", "en": "as of"},
    "year_unknown": {"pl": "rok nieznany", "en": "year unknown"},
    "members": {"pl": "członkowie", "en": "members"},
    "participants": {"pl": "uczestnicy", "en": "participants"},
    "details": {"pl": "Szczegóły", "en": "Details"},
    "details_empty": {"pl": "Kliknij gminę na mapie lub wyszukaj miasto.",
                      "en": "Click a gmina on the map or search for a town."},
    "guide_colour": {"pl": "Kolor: gminy z miastami Związku lub uczestnikami projektów (wg wybranej miary).",
                     "en": "Colour: gminy with member cities or project participants (by the chosen measure)."},
    "guide_grey": {"pl": "Szare: pozostałe gminy (brak w danych publicznych).",
                   "en": "Grey: other gminy (not in the public data)."},
    "guide_outline": {"pl": "Ciemne linie: granice województw.", "en": "Dark lines: voivodeship borders."},
    "guide_select": {"pl": "Zaznacz obszar prostokątem lub lasso – wykresy pokażą tylko te gminy; podwójne "
                             "kliknięcie lub chip „Zaznaczone gminy” usuwa zaznaczenie.",
                     "en": "Draw a box or lasso – the charts show only those gminy; double-click or the "
                           "“Selected gminy” chip clears it."},
    "guide_bars": {"pl": "Kliknij słupek wykresu, aby filtrować mapę i pozostałe wykresy.",
                   "en": "Click a bar to filter the map and the other charts."},
    "guide_share": {"pl": "Adres strony zapamiętuje widok – skopiuj go, aby go udostępnić.",
                    "en": "The page address keeps the view – copy it to share."},
    "details_none": {"pl": "Brak miast Związku ani uczestników projektów w tej gminie.",
                     "en": "No member cities or project participants in this gmina."},
    "teryt": {"pl": "TERYT", "en": "TERYT"},
    "voivodeship": {"pl": "Województwo", "en": "Voivodeship"},
    "join_year": {"pl": "Rok przystąpienia", "en": "Join year"},
    "unknown": {"pl": "nieznany", "en": "unknown"},
    "member": {"pl": "członek ZMP", "en": "ZMP member"},
    "not_member": {"pl": "nie jest członkiem (w danych)", "en": "not a member (in the data)"},
    "project_list": {"pl": "Projekty", "en": "Projects"},
    "role": {"pl": "Rola", "en": "Role"},
    "no_projects": {"pl": "brak projektów w danych", "en": "no projects in the data"},
    "table_title": {"pl": "Miasta w widoku", "en": "Cities in view"},
    "download_csv": {"pl": "Pobierz CSV", "en": "Download CSV"},
    "col_name": {"pl": "Miasto / JST", "en": "City / LGU"},
    "col_teryt": {"pl": "TERYT", "en": "TERYT"},
    "col_voivodeship": {"pl": "Województwo", "en": "Voivodeship"},
    "col_member": {"pl": "Członek", "en": "Member"},
    "col_join_year": {"pl": "Rok przystąpienia", "en": "Join year"},
    "col_n_projects": {"pl": "Liczba projektów", "en": "Projects (count)"},
    "col_projects": {"pl": "Projekty", "en": "Projects"},
    "yes": {"pl": "tak", "en": "yes"},
    "no": {"pl": "nie", "en": "no"},
    "export": {"pl": "Eksport", "en": "Export"},
    "notice_invalid": {
        "pl": "Adres strony zawierał nieprawidłowe wartości – dla tych ustawień pokazano widok domyślny: {details}.",
        "en": "The page address had invalid values – the default view is shown for: {details}.",
    },
    "notice_unknown_param": {"pl": "nieznane parametry", "en": "unknown parameters"},
    "legend_other": {"pl": "pozostałe gminy", "en": "other gminy"},
    "legend_title_projects": {"pl": "Liczba projektów<br>(liczba gmin)", "en": "Projects<br>(number of gminy)"},
    "legend_title_membership": {"pl": "Członkostwo / udział<br>(liczba gmin)", "en": "Membership<br>(number of gminy)"},
    "cls_no_projects": {"pl": "0 – członek bez projektów w danych", "en": "0 – member, no project in the data"},
    "cls_member_any": {"pl": "członek, w projektach", "en": "member, in projects"},
    "cls_member_none": {"pl": "członek, bez projektów w danych", "en": "member, no project in the data"},
    "cls_member_in": {"pl": "członek, w wybranych projektach", "en": "member, in chosen projects"},
    "cls_member": {"pl": "członek", "en": "member"},
    "cls_member_out": {"pl": "członek, poza wybranymi projektami", "en": "member, not in chosen projects"},
    "cls_participant": {"pl": "uczestnik (nie członek)", "en": "participant (not a member)"},
    "hover_projects": {"pl": "Projekty", "en": "Projects"},
    "hover_none": {"pl": "brak", "en": "none"},
    "chip_project": {"pl": "Projekt", "en": "Project"},
    "chip_voivodeship": {"pl": "Woj.", "en": "Voiv."},
    "chip_years": {"pl": "Lata", "en": "Years"},
    "chip_no_unknown": {"pl": "bez roku nieznanego", "en": "without unknown year"},
    "chip_selected": {"pl": "Zaznaczone gminy", "en": "Selected gminy"},
    "chip_town": {"pl": "Miasto", "en": "Town"},
    "chip_match_all": {"pl": "wszystkie projekty naraz", "en": "all chosen projects"},
    "count_label": {"pl": "Liczba", "en": "Count"},
    "year": {"pl": "Rok", "en": "Year"},
    "powiat_note": {
        "pl": "{n} uczestników to powiaty (nie są gminami) – są w tabeli, nie na mapie.",
        "en": "{n} participants are powiaty (not gminy) – listed in the table, not on the map.",
    },
    # every screen and every reader (issue 12)
    "skip_to_map": {"pl": "Przejdź do mapy", "en": "Skip to the map"},
    "filters_open": {"pl": "Filtry", "en": "Filters"},
    "filters_on": {"pl": "aktywne: {n}", "en": "on: {n}"},
    "filters_close": {"pl": "Pokaż wyniki", "en": "Show results"},
    "charts_heading": {"pl": "Wykresy", "en": "Charts"},
    "legend_heading": {"pl": "Legenda mapy", "en": "Map legend"},
    "chart_list": {"pl": "Słupki jako lista (wybór z klawiatury)", "en": "The bars as a list (keyboard choice)"},
    "growth_summary": {
        "pl": "Wykres słupkowy: nowi członkowie o znanym roku przystąpienia, {lo}–{hi}: razem {total}, najwięcej "
              "w {top_year} ({top}); rok nieznany: {unknown}. Linia: opublikowana liczba członków, {last} "
              "w {last_year}.",
        "en": "Bar chart: new members with a known join year, {lo}–{hi}: {total} in all, most in {top_year} "
              "({top}); year unknown: {unknown}. Line: the published membership total, {last} in {last_year}.",
    },
    "voiv_summary": {
        "pl": "Wykres słupkowy: członkowie w widoku wg województw, razem {total}; najwięcej: {top} ({n}).",
        "en": "Bar chart: members in view by voivodeship, {total} in all; most: {top} ({n}).",
    },
    "project_summary": {
        "pl": "Wykres słupkowy: uczestnicy w widoku wg {k} projektów; najwięcej: {top} ({n}).",
        "en": "Bar chart: participants in view in {k} projects; most: {top} ({n}).",
    },
    "table_sort_hint": {"pl": "Kliknij nagłówek kolumny, aby sortować.", "en": "Choose a column header to sort."},
    "dd_select_all": {"pl": "Zaznacz wszystkie", "en": "Select all"},
    "dd_deselect_all": {"pl": "Odznacz wszystkie", "en": "Deselect all"},
    "dd_selected_count": {"pl": "wybrane: {num_selected}", "en": "{num_selected} selected"},
    "dd_search": {"pl": "Szukaj", "en": "Search"},
    "dd_clear_search": {"pl": "Wyczyść wyszukiwanie", "en": "Clear search"},
    "dd_clear_selection": {"pl": "Wyczyść wybór", "en": "Clear selection"},
    "dd_no_options": {"pl": "Brak wyników", "en": "No options found"},
    "embed_heading": {"pl": "Osadź mapę w artykule", "en": "Embed the map in an article"},
    "embed_help": {"pl": "Wklej ten kod HTML do strony; mapa pokaże bieżący widok.",
                   "en": "Paste this HTML into a page; the map shows the current view."},
    "embed_copy": {"pl": "Kopiuj kod", "en": "Copy the code"},
    "embed_copied": {"pl": "Skopiowano do schowka.", "en": "Copied to the clipboard."},
    "embed_code_label": {"pl": "Kod do osadzenia", "en": "Embed code"},
    "embed_open": {"pl": "Otwórz pełny atlas", "en": "Open the full atlas"},
    "embed_frame_title": {"pl": "Mapa gmin – Atlas Związku Miast Polskich",
                          "en": "Map of gminy – Atlas of the Association of Polish Cities"},
    "sources_heading": {"pl": "Źródła", "en": "Sources"},
    "sources_text": {
        "pl": "Granice: PRG, GUGiK (stan 2020), via jusuff/PolandGeoJson. Dane Związku: strony miasta.pl, "
              "polishcities.eu i źródła wskazane przy każdym wierszu (kolumna source). Lista członków jest "
              "niepełna – patrz SOURCES.md.",
        "en": "Boundaries: PRG, GUGiK (2020), via jusuff/PolandGeoJson. Union data: miasta.pl, polishcities.eu "
              "and the source cited on every row. The member list is partial – see SOURCES.md.",
    },
}


# plotly.js's own texts (the map toolbar, double-click hints), registered as the locale "pl" (graph config "locales")
PLOTLY_LOCALE_PL: dict[str, str] = {
    "Pan": "Przesuń",
    "Box Select": "Zaznacz prostokątem",
    "Lasso Select": "Zaznacz lassem",
    "Zoom in": "Powiększ",
    "Zoom out": "Pomniejsz",
    "Reset": "Przywróć widok",
    "Reset view": "Przywróć widok",
    "Autoscale": "Dopasuj skalę",
    "Reset axes": "Przywróć osie",
    "Zoom": "Powiększ obszar",
    "Toggle Spike Lines": "Linie pomocnicze",
    "Show closest data on hover": "Pokaż najbliższe dane",
    "Compare data on hover": "Porównaj dane",
    "Download plot as a PNG": "Pobierz wykres jako PNG",
    "Download plot": "Pobierz wykres",
    "Produced with Plotly.js": "Wykonano w Plotly.js",
    "Double-click to zoom back out": "Kliknij dwukrotnie, aby oddalić",
    "Double-click on legend to isolate one trace": "Kliknij dwukrotnie legendę, aby pokazać tylko jedną serię",
}


def dropdown_labels(lang: str = DEFAULT_LANG) -> dict[str, str]:
    """dcc.Dropdown `labels` (its own texts: search box, select all, nothing found) in `lang`."""
    keys = {"select_all": "dd_select_all", "deselect_all": "dd_deselect_all", "selected_count": "dd_selected_count",
            "search": "dd_search", "clear_search": "dd_clear_search", "clear_selection": "dd_clear_selection",
            "no_options_found": "dd_no_options"}
    return {k: TEXT[v].get(lang) or TEXT[v][DEFAULT_LANG] for k, v in keys.items()}


def t(key: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """The string `key` in `lang` (falls back to Polish), formatted with params. Unknown key -> KeyError."""
    entry = TEXT[key]
    s = entry.get(lang) or entry[DEFAULT_LANG]
    return s.format(**params) if params else s


def format_number(value: float | int | None, lang: str = DEFAULT_LANG, decimals: int = 0) -> str:
    """1234567.5 -> '1 234 567,5' (pl, NBSP separators) / '1,234,567.5' (en). None/NaN -> '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    s = f"{value:,.{decimals}f}"  # en format: 1,234,567.50
    if lang == "pl":
        s = s.replace(",", "\u0000").replace(".", ",").replace("\u0000", NBSP)
    return s.replace("-", "\u2212") if s.startswith("-") else s


def format_compact(value: float | int, lang: str = DEFAULT_LANG) -> str:
    """Large numbers for the key-figures strip: 87 700 000 -> '87,7 mln' / '87.7 million'; below 1 million the
    plain number."""
    units = {"pl": [(1e9, "mld"), (1e6, "mln")], "en": [(1e9, "billion"), (1e6, "million")]}
    for size, name in units.get(lang, units["pl"]):
        if abs(value) >= size:
            v = value / size
            decimals = 0 if float(v).is_integer() else 1
            return f"{format_number(v, lang, decimals)}{NBSP}{name}"
    return format_number(value, lang)


def format_figure(value: float | int, unit: str, lang: str = DEFAULT_LANG) -> str:
    """A published key figure with its unit: count, count_at_least ('ponad 150' / 'over 150'), PLN."""
    if unit == "PLN":
        return f"{format_compact(value, lang)}{NBSP}zł" if lang == "pl" else f"PLN{NBSP}{format_compact(value, lang)}"
    text = format_compact(value, lang)
    if unit == "count_at_least":
        return f"{'ponad' if lang == 'pl' else 'over'}{NBSP}{text}"
    return text


def plotly_separators(lang: str) -> str:
    """plotly layout.separators: decimal then thousands."""
    return ",\u00a0" if lang == "pl" else ".,"


def fold(text: str) -> str:
    """Diacritics-insensitive, case-insensitive search key: 'Łódź' -> 'lodz', 'Bielsko-Biała' -> 'bielsko-biala'."""
    text = text.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def year_label(year: Any, lang: str = DEFAULT_LANG) -> str:
    """Join year or 'nieznany'/'unknown' for missing values."""
    try:
        if year is None or (isinstance(year, float) and math.isnan(year)) or str(year) in ("<NA>", "nan", ""):
            return t("unknown", lang)
        return str(int(year))
    except (TypeError, ValueError):
        return t("unknown", lang)


# --- press export (dashboard/export*.py, export_panel.py, alttext.py) --------------------------------------------
# Kept apart from the dashboard's strings above; every key starts with "export_". Polish plural forms are written
# "one|few|many" (English "one|other") and chosen with plural_form().
TEXT.update({
    # the Export panel
    "export_preset": {"pl": "Format", "en": "Size"},
    "export_format": {"pl": "Plik", "en": "File"},
    "export_title": {"pl": "Tytuł", "en": "Title"},
    "export_title_placeholder": {"pl": "z filtrów (wpisz własny)", "en": "from the filters (type your own)"},
    "export_button": {"pl": "Pobierz mapę", "en": "Download map"},
    "export_logo": {"pl": "z logo Związku", "en": "with the Union's logo"},
    "export_working": {"pl": "Trwa rysowanie mapy…", "en": "Drawing the map…"},
    "export_done": {"pl": "Gotowe: {name} ({size} kB, {sec} s).", "en": "Done: {name} ({size} kB, {sec} s)."},
    "export_alt": {"pl": "Tekst alternatywny (zapisz go razem z mapą)", "en": "Alt text (keep it with the map)"},
    "export_failed": {"pl": "Eksport nie powiódł się: {error}", "en": "The export failed: {error}"},
    "export_invalid": {"pl": "Nieprawidłowe ustawienia eksportu: {error}", "en": "Invalid export settings: {error}"},
    "export_unknown_link": {"pl": "Nieznany link do widoku", "en": "unknown view link"},
    # on the page
    "export_source": {"pl": "Źródło: Związek Miast Polskich; granice: PRG, GUGiK 2020",
                      "en": "Source: Związek Miast Polskich (Union of Polish Cities); boundaries: PRG, GUGiK 2020"},
    "export_gazetteer_credit": {"pl": "punkty miast: PRNG (GUGiK), oprac. jjbartek/polskie-miejscowosci (CC BY)",
                                "en": "town points: PRNG (GUGiK), via jjbartek/polskie-miejscowosci (CC BY)"},
    "export_date_line": {"pl": "Stan danych: {date} · wygenerowano {today}",
                         "en": "Data as of {date} · generated {today}"},
    "export_today": {"pl": "%d.%m.%Y", "en": "%Y-%m-%d"},
    "export_title_members": {"pl": "Miasta członkowskie Związku Miast Polskich",
                             "en": "Member cities of the Union of Polish Cities"},
    "export_title_all": {"pl": "Miasta w projektach Związku Miast Polskich",
                         "en": "Cities in the projects of the Union of Polish Cities"},
    "export_title_named": {"pl": "{label}: miasta uczestniczące", "en": "{label}: participating cities"},
    "export_title_project": {"pl": "Projekt {label}: miasta uczestniczące", "en": "{label}: participating cities"},
    "export_title_projects": {"pl": "Projekty ZMP {labels}", "en": "Union projects {labels}"},
    "export_quote": {"pl": "„{text}”", "en": "“{text}”"},
    "export_and": {"pl": " i ", "en": " and "},
    "export_match_any": {"pl": "miasta w co najmniej jednym z projektów",
                         "en": "cities in at least one of the projects"},
    "export_match_all": {"pl": "miasta we wszystkich wybranych projektach", "en": "cities in every chosen project"},
    "export_voivodeship": {"pl": "województwo {names}", "en": "voivodeship {names}"},
    "export_voivodeships": {"pl": "województwa: {names}", "en": "voivodeships: {names}"},
    "export_all_poland": {"pl": "cała Polska", "en": "all of Poland"},
    "export_joined": {"pl": "rok przystąpienia {span}", "en": "joined {span}"},
    "export_or_unknown": {"pl": " lub nieznany", "en": " or unknown"},
    "export_known_year_only": {"pl": "tylko znany rok przystąpienia", "en": "known join year only"},
    "export_selection": {"pl": "zaznaczenie na mapie: {n}\u00a0{gminy}", "en": "map selection: {n}\u00a0{gminy}"},
    "export_gminy": {"pl": "gmina|gminy|gmin", "en": "gmina|gminy"},
    "export_cities": {"pl": "miasto|miasta|miast", "en": "city|cities"},
    "export_colour_membership": {"pl": "kolor: członkostwo i udział w projektach",
                                 "en": "colour: membership and participation"},
    "export_in_view": {"pl": "miasto w widoku|miasta w widoku|miast w widoku", "en": "city in view|cities in view"},
    "export_most": {"pl": "najwięcej: {name} ({n})", "en": "most: {name} ({n})"},
    "export_no_match": {"pl": "żadne miasto nie spełnia filtrów", "en": "no city matches the filters"},
    # the alt text (dashboard/export/texts.py)
    "export_alt_head": {"pl": "Mapa gmin Polski (granice PRG 2020): {title}",
                        "en": "Map of Poland's gminy (municipalities; PRG 2020 boundaries): {title}"},
    "export_alt_scope": {"pl": "Zakres: {scope}", "en": "Scope: {scope}"},
    "export_alt_empty": {"pl": "Żadne miasto nie spełnia wybranych filtrów, więc wszystkie gminy są szare.",
                         "en": "No city matches the chosen filters, so every gmina is grey."},
    "export_alt_shown": {"pl": "Na mapie {verb} {cities} w {n_gminy} {gminy}.",
                         "en": "The map {verb} {cities} in {n_gminy} {gminy}."},
    "export_alt_verb": {"pl": "jest|są|jest", "en": "shows|shows"},   # PL agrees with the number, EN with "map"
    "export_alt_cities": {"pl": "miasto lub JST|miasta lub JST|miast lub JST",
                          "en": "city or local government|cities or local governments"},
    "export_alt_in_gminy": {"pl": "gminie|gminach|gminach", "en": "gmina|gminy"},
    "export_alt_one_voivodeship": {"pl": "Wszystkie leżą w województwie {name}.",
                                   "en": "All are in the {name} voivodeship."},
    "export_alt_voivodeships": {"pl": "Najwięcej jest w województwach: {names}.",
                                "en": "Most are in the voivodeships {names}."},
    "export_alt_legend": {"pl": "Legenda ({what}): {classes}; {rest}.", "en": "Legend ({what}): {classes}; {rest}."},
    "export_alt_rest": {"pl": "pozostała {n} gmina jest szara|pozostałe {n} gminy są szare|pozostałych {n} gmin jest "
                              "szarych", "en": "the other {n} gmina is grey|the other {n} gminy are grey"},
})


def plural_pl(n: int, one: str, few: str, many: str) -> str:
    """Polish plural: 1 miasto, 2–4 miasta (but 12–14 miast), 5+ miast."""
    if n == 1:
        return one
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return few
    return many


def plural_form(key: str, n: int, lang: str = DEFAULT_LANG) -> str:
    """The form of TEXT[key] ("one|few|many" in Polish, "one|other" in English) that goes with the number n."""
    forms = t(key, lang).split("|")
    if lang == "pl" and len(forms) == 3:
        return plural_pl(n, *forms)
    return forms[0] if n == 1 else forms[-1]
