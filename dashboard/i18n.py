"""Every user-facing string of the dashboard, in Polish (default) and English, and the number formats.

Polish numbers: decimal comma, a non-breaking space as thousands separator ("22 500", "87,7 mln").
English numbers: decimal point, comma thousands separator ("22,500", "87.7 million").
No Dash imports (figures and the export use this too).
"""
from __future__ import annotations

import math
import re
from typing import Any

NBSP = "\u00a0"
DEFAULT_LANG = "pl"

TEXT: dict[str, dict[str, str]] = {
    "title": {"pl": "Atlas Związku Miast Polskich", "en": "Atlas of the Association of Polish Cities"},
    "subtitle": {"pl": "Miasta członkowskie, projekty i rozwój Związku",
                 "en": "Member cities, projects and growth of ZMP (Związek Miast Polskich)"},
    "lang_toggle_label": {"pl": "Język", "en": "Language"},
    "strip_heading": {"pl": "Rok 2020 w liczbach", "en": "2020 in numbers"},
    "strip_published": {"pl": "dane ZMP", "en": "ZMP figures"},
    # the two figures follow the date and evidence levels, not the other filters: said, or read as the region's
    "strip_in_data": {"pl": "w danych publicznych, cała Polska", "en": "in the public data, all of Poland"},
    # what the public data holds at the chosen date, next to the union's published figures: not the filtered view
    "members_shown": {"pl": "Członkowie w danych", "en": "Members in the data"},
    "participants_shown": {"pl": "Uczestnicy projektów w danych", "en": "Project participants in the data"},
    "source": {"pl": "Źródło", "en": "Source"},
    "coverage": {
        "pl": "{members} z {total} członków (koniec 2020 r.) jest w danych publicznych; rok przystąpienia znany "
              "dla {known_year}.",
        "en": "{members} of {total} members (end of 2020) are in the public data; join year known for "
              "{known_year}.",
    },
    "coverage_sources": {"pl": "Źródła danych", "en": "Data sources"},
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
    "years_unknown_only": {"pl": "Pokazano tylko miasta o nieznanym roku przystąpienia.",
                           "en": "Only cities with an unknown join year are shown."},
    "town_search": {"pl": "Szukaj miasta", "en": "Find a town"},
    "town_placeholder": {"pl": "np. Łódź, Bielsko…", "en": "e.g. Łódź, Bielsko…"},
    "gmina_kind_urban": {"pl": "gm. miejska", "en": "urban gmina"},
    "gmina_kind_rural": {"pl": "gm. wiejska", "en": "rural gmina"},
    "gmina_kind_urban_rural": {"pl": "gm. miejsko-wiejska", "en": "urban-rural gmina"},
    "gmina_kind_other": {"pl": "gmina", "en": "gmina"},
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
    "map_no_list": {"pl": "Żaden z wybranych projektów nie ma w danych listy uczestników: pusta mapa nie znaczy, "
                          "że nikt w nich nie uczestniczył.",
                    "en": "None of the chosen projects has a list of its participants in the data: an empty map does "
                          "not mean that no city took part."},
    "no_list": {"pl": "brak listy", "en": "no list"},
    "map_empty": {"pl": "Żadne miasto w danych nie spełnia wybranych filtrów.",
                  "en": "No city in the data matches the chosen filters."},
    "map_help": {
        "pl": "Kliknij gminę, aby zobaczyć szczegóły; zaznacz prostokątem lub lassem, aby filtrować wykresy.",
        "en": "Click a gmina for details; draw a box or lasso to filter the charts.",
    },
    "growth_title": {"pl": "Przystąpienia wg roku", "en": "Members joining by year"},
    "voiv_title": {"pl": "Członkowie wg województw", "en": "Members by voivodeship"},
    "project_title": {"pl": "Uczestnicy wg projektów", "en": "Participants by project"},
    # a city that left and came back joins again: a join, not a new member (Wrocław 2019, Białystok 2019)
    "new_members": {"pl": "przystąpienia (rok znany, z powrotami)", "en": "joins (known year, returns included)"},
    "known_totals": {"pl": "liczba członków (opublikowana)", "en": "membership total (published)"},
    "members_genitive": {"pl": "członków", "en": "members"},  # after a number (the totals are all > 4)
    "as_of": {"pl": "stan na", "en": "as of"},
    "year_unknown": {"pl": "rok nieznany", "en": "year unknown"},
    # membership through time
    "asof": {"pl": "Stan na koniec roku", "en": "Status at the end of the year"},
    # the play button's name; its glyph (layout.play_label) is not read out
    "asof_play": {"pl": "Odtwórz lata", "en": "Play the years"},
    "asof_pause": {"pl": "Zatrzymaj", "en": "Pause"},
    "evidence": {"pl": "Podstawa członkostwa", "en": "Evidence of membership"},
    "ev_list": {"pl": "lista ZMP", "en": "ZMP's own list"},
    "ev_stated": {"pl": "potwierdzone w źródle", "en": "stated by a source"},
    "ev_role": {"pl": "funkcja w organach ZMP", "en": "seat on a ZMP body"},
    "ev_weak": {"pl": "słabe przesłanki", "en": "weak hints"},
    "coverage_asof": {"pl": "Stan na {date}: {dated} + {undated}, wobec {total} według ZMP ({total_date}).",
                      "en": "As of {date}: {dated} + {undated}, of {total} published by ZMP ({total_date})."},
    "coverage_asof_no_total": {"pl": "Stan na {date}: {dated} + {undated}; ZMP nie podał liczby członków za {year} r.",
                               "en": "As of {date}: {dated} + {undated}; no published total for {year}."},
    "coverage_dated": {"pl": "członek z datą przystąpienia|członków z datą przystąpienia|członków z datą przystąpienia",
                       "en": "dated member|dated members"},
    "coverage_undated": {
        "pl": "wymieniony w późniejszych źródłach (czy był wtedy członkiem — nieznane)|wymienionych w późniejszych "
              "źródłach (czy byli wtedy członkami — nieznane)|wymienionych w późniejszych źródłach (czy byli wtedy "
              "członkami — nieznane)",
        "en": "listed by later sources (status then unknown)|listed by later sources (status then unknown)",
    },
    "legend_undated": {"pl": "jaśniej: członek wg późniejszego źródła, stan w {year} r. nieznany ({n})",
                       "en": "lighter: member known only from a later source, status in {year} unknown ({n})"},
    "departures": {"pl": "wystąpienia (rok znany)", "en": "departures (known year)"},
    "joins_axis": {"pl": "przystąpienia / wystąpienia", "en": "joins / departures"},
    # members by a dated join (a city that left without a dated join was never among them: membership.py)
    "known_dated": {"pl": "członkowie z datą przystąpienia (w danych)", "en": "members with a join date (in the data)"},
    "gap_hover": {"pl": "brak w danych: {gap}", "en": "not in the data: {gap}"},
    "history": {"pl": "Historia członkostwa", "en": "Membership history"},
    "ev_joined": {"pl": "przystąpienie", "en": "joined"},
    "ev_left": {"pl": "wystąpienie", "en": "left"},
    # a city's facts and status are nouns, as "przystąpienie": an adjective would need the city's gender
    # ("Podkowa Leśna: wymieniony", "Szczecin … nie był" for every city)
    "ev_listed": {"pl": "wzmianka w źródle", "en": "listed by a source"},
    "date_or_later": {"pl": " lub później", "en": " or later"},   # a list's date that is a lower bound
    "date_unknown": {"pl": "data nieznana", "en": "date unknown"},
    "evidence_level": {"pl": "Podstawa", "en": "Evidence"},
    "status_member": {"pl": "członek (z datą)", "en": "member (dated)"},
    "status_member_undated": {"pl": "członek wg późniejszego źródła (stan wtedy nieznany)",
                              "en": "member known only from a later source (status then unknown)"},
    "status_not_member": {"pl": "poza Związkiem", "en": "not a member"},
    "status_at": {"pl": "Stan na {date}", "en": "As of {date}"},
    "status_hidden_embed": {"pl": "Nie na tej mapie: podstawa „{level}” nie jest w niej uwzględniona.",
                            "en": "Not on this map: it leaves out the evidence “{level}”."},
    "status_hidden": {"pl": "Na mapie i w liczbach po zaznaczeniu podstawy „{level}” w filtrze „Podstawa członkostwa”.",
                      "en": "On the map and in the counts once “{level}” is ticked under “Evidence of membership”."},
    # under the exported map: "Jaśniej: 1 gmina / 3 gminy / 5 gmin z członkiem znanym …" (gminy: export_gminy)
    "export_undated": {"pl": "Jaśniej: {gminy} z członkiem znanym tylko z późniejszych źródeł "
                             "(stan na {date} nieznany)",
                       "en": "Lighter: {gminy} with a member known only from later sources (status on {date} "
                             "unknown)"},
    "member_dated_short": {"pl": "tak", "en": "yes"},
    "member_undated_short": {"pl": "tak (wg późniejszego źródła)", "en": "yes (known from a later source)"},
    "members": {"pl": "członkowie", "en": "members"},
    "participants": {"pl": "uczestnicy", "en": "participants"},
    "details": {"pl": "Szczegóły", "en": "Details"},
    "details_empty_embed": {"pl": "Kliknij gminę na mapie, aby zobaczyć szczegóły.",
                            "en": "Click a gmina on the map for its details."},
    "details_empty": {"pl": "Kliknij gminę na mapie lub wyszukaj miasto.",
                      "en": "Click a gmina on the map or search for a town."},
    "guide_colour": {"pl": "Kolor: gminy z miastami Związku lub uczestnikami projektów (wg wybranej miary).",
                     "en": "Colour: gminy with member cities or project participants (by the chosen measure)."},
    "guide_grey": {"pl": "Szare: pozostałe gminy (brak w danych publicznych).",
                   "en": "Grey: other gminy (not in the public data)."},
    "guide_outline": {"pl": "Ciemne linie: granice województw.", "en": "Dark lines: voivodeship borders."},
    "guide_select": {"pl": "Zaznacz obszar prostokątem lub lassem – wykresy pokażą tylko te gminy; podwójne "
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
    "research_note": {"pl": "Notatka badawcza (nietłumaczona)", "en": "Research note"},
    "source_quote": {"pl": "Cytat ze źródła", "en": "Quoted from the source"},
    "role_not_counted": {"pl": "nie liczy się jako udział w projekcie", "en": "not counted as taking part"},
    "source_details": {"pl": "Szczegóły źródła", "en": "Source details"},
    "no_projects": {"pl": "brak projektów w danych", "en": "no projects in the data"},
    "table_title": {"pl": "Miasta w widoku", "en": "Cities in view"},
    "download_csv": {"pl": "Pobierz CSV", "en": "Download CSV"},
    "download_xlsx": {"pl": "Pobierz XLSX (Excel)", "en": "Download XLSX (Excel)"},
    # the XLSX's second sheet (layout.download_notes)
    "download_notes_sheet": {"pl": "Źródło", "en": "Source"},
    "download_rows": {"pl": "Liczba wierszy: {n}", "en": "Rows: {n}"},
    "download_view_link": {"pl": "Ten widok w atlasie", "en": "This view in the atlas"},
    "col_name": {"pl": "Miasto / JST", "en": "City / local government"},   # the exports' word for a JST
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
        "pl": "Adres strony zawierał nieprawidłowe wartości – pominięto je w ustawieniach: {details}.",
        "en": "The page address had invalid values – they were left out of: {details}.",
    },
    "notice_invalid_embed": {
        "pl": "Błędne wartości w adresie mapy pominięto: {details}.",
        "en": "Invalid values in the map's address were left out: {details}.",
    },
    "notice_unknown_param": {"pl": "nieznane parametry", "en": "unknown parameters"},
    "notice_query": {"pl": "cały adres (za długi lub nieczytelny)", "en": "the whole address (too long or unreadable)"},
    "legend_other": {"pl": "pozostałe gminy", "en": "other gminy"},
    "legend_title_projects": {"pl": "Liczba projektów<br>(liczba gmin)", "en": "Projects<br>(number of gminy)"},
    "legend_title_projects_years": {"pl": "Liczba projektów {span}<br>(liczba gmin)",
                                    "en": "Projects {span}<br>(number of gminy)"},
    "legend_title_membership_years": {"pl": "Członkostwo / projekty {span}<br>(liczba gmin)",
                                      "en": "Membership / projects {span}<br>(number of gminy)"},
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
    "chip_year": {"pl": "Rok", "en": "Year"},
    "chip_no_unknown": {"pl": "bez roku nieznanego", "en": "without unknown year"},
    "chip_selected": {"pl": "Zaznaczone gminy", "en": "Selected gminy"},
    "chip_town": {"pl": "Miasto", "en": "Town"},
    "chip_match_all": {"pl": "wszystkie projekty naraz", "en": "all chosen projects"},
    "count_label": {"pl": "Liczba", "en": "Count"},
    "year": {"pl": "Rok", "en": "Year"},
    "powiat_note": {
        "pl": "{n} uczestników to powiaty (nie są gminami) – są w tabeli, nie na mapie.",
        "en": "{n} participants are counties (powiaty, not gminy) – listed in the table, not on the map.",
    },
    # every screen and every reader (issue 12)
    "skip_to_map": {"pl": "Przejdź do mapy", "en": "Skip to the map"},
    "filters_open": {"pl": "Filtry", "en": "Filters"},
    "filters_on": {"pl": "aktywne: {n}", "en": "active: {n}"},
    "filters_close": {"pl": "Pokaż wyniki", "en": "Show results"},
    "details_close": {"pl": "Zamknij szczegóły", "en": "Close the details"},
    "details_cue": {"pl": "szczegóły niżej ↓", "en": "details below ↓"},
    "charts_heading": {"pl": "Wykresy", "en": "Charts"},
    "legend_heading": {"pl": "Legenda mapy", "en": "Map legend"},
    "chart_list": {"pl": "Słupki jako lista (wybór z klawiatury)", "en": "The bars as a list (keyboard choice)"},
    # the charts' text alternatives; each chart leaves its own filter out (its bars are what one picks from), so
    # the voivodeship and project charts say so instead of "in view"; a chart with nothing in it names no largest bar
    "growth_summary": {
        "pl": "Wykres słupkowy: przystąpienia w znanym roku (z powrotami), {lo}–{hi}: razem {total}, najwięcej "
              "w {top_year} ({top}); wystąpienia: {left}; rok nieznany: {unknown}. Linia: opublikowana liczba "
              "członków, {last} w {last_year}.",
        "en": "Bar chart: joins in a known year (returns included), {lo}–{hi}: {total} in all, most in {top_year} "
              "({top}); departures: {left}; year unknown: {unknown}. Line: the published membership total, {last} "
              "in {last_year}.",
    },
    "growth_summary_none": {
        "pl": "Wykres słupkowy: przystąpienia w znanym roku (z powrotami), {lo}–{hi}: brak w widoku; wystąpienia: "
              "{left}; rok nieznany: {unknown}. Linia: opublikowana liczba członków, {last} w {last_year}.",
        "en": "Bar chart: joins in a known year (returns included), {lo}–{hi}: none in view; departures: {left}; "
              "year unknown: {unknown}. Line: the published membership total, {last} in {last_year}.",
    },
    "each": {"pl": "po {n}", "en": "{n} each"},   # bars tied for the largest
    "others": {"pl": "inne", "en": "others"},
    "voiv_summary": {
        "pl": "Wykres słupkowy: członkowie wg województw (wszystkie województwa, pozostałe filtry widoku), razem "
              "{total}; najwięcej: {top} ({n}).",
        "en": "Bar chart: members by voivodeship (every voivodeship, the view's other filters), {total} in all; "
              "most: {top} ({n}).",
    },
    "voiv_summary_none": {
        "pl": "Wykres słupkowy: członkowie wg województw (wszystkie województwa, pozostałe filtry widoku): brak.",
        "en": "Bar chart: members by voivodeship (every voivodeship, the view's other filters): none.",
    },
    "project_summary": {
        "pl": "Wykres słupkowy: uczestnicy wg projektów (wszystkie projekty, pozostałe filtry widoku); najwięcej: "
              "{top} ({n}).",
        "en": "Bar chart: participants by project (every project, the view's other filters); most: {top} ({n}).",
    },
    "project_summary_none": {
        "pl": "Wykres słupkowy: uczestnicy wg projektów (wszystkie projekty, pozostałe filtry widoku): brak.",
        "en": "Bar chart: participants by project (every project, the view's other filters): none.",
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
    "embed_title": {"pl": "Członkowie ZMP i miasta w projektach", "en": "ZMP members and project cities"},
    "embed_title_membership": {"pl": "Członkostwo w ZMP i projekty", "en": "ZMP membership and projects"},
    "embed_frame_title": {"pl": "Mapa gmin – Atlas Związku Miast Polskich",
                          "en": "Map of gminy – Atlas of the Association of Polish Cities"},
    "sources_heading": {"pl": "Źródła", "en": "Sources"},
    "sources_text": {
        "pl": "Granice: PRG, GUGiK (stan 2020), via jusuff/PolandGeoJson. Dane Związku: strony miasta.pl, "
              "polishcities.eu i źródła wskazane przy każdym wierszu plików danych. Lista członków jest "
              "niepełna – zob.",
        "en": "Boundaries: PRG, GUGiK (2020), via jusuff/PolandGeoJson. Association data: miasta.pl, polishcities.eu "
              "and the source cited on every row of the data files. The member list is partial – see",
    },
    "sources_readme": {"pl": "opis danych (data/README.md)", "en": "the data description (data/README.md)"},
    "data_attention": {"pl": "Wiersze plików danych, które wymagają uwagi i których nie ma na mapie",
                       "en": "Rows of the data files that need attention and are not on the map"},
    "data_attention_how": {"pl": "Które to wiersze i co w nich poprawić, pokazuje polecenie "
                                 "python -m dashboard check-data.",
                           "en": "The command python -m dashboard check-data lists them and what to correct."},
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
            # "87,7 mln" holds together; "million" is a word a narrow line may go on with ("PLN 87.7 / million")
            return f"{format_number(v, lang, decimals)}{NBSP if lang == 'pl' else ' '}{name}"
    return format_number(value, lang)


def format_figure(value: float | int, unit: str, lang: str = DEFAULT_LANG) -> str:
    """A published key figure with its unit: count, count_at_least ('ponad 150' / 'over 150'), PLN."""
    if unit == "PLN":
        return f"{format_compact(value, lang)}{NBSP}zł" if lang == "pl" else f"PLN{NBSP}{format_compact(value, lang)}"
    text = format_compact(value, lang)
    if unit == "count_at_least":
        return f"{'ponad' if lang == 'pl' else 'over'}{NBSP}{text}"
    return text


def escape_markup(text: str) -> str:
    """Data text for plotly's markup (hover texts, labels, annotations): plotly reads <b>, <br>, <a href=…> in
    them, so '<', '>' and '&' of a name or label from the office's files must reach it as entities."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plotly_separators(lang: str) -> str:
    """plotly layout.separators: decimal then thousands."""
    return ",\u00a0" if lang == "pl" else ".,"


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
    "export_logo": {"pl": "z logo Związku", "en": "with the Association's logo"},
    "export_working": {"pl": "Trwa rysowanie mapy…", "en": "Drawing the map…"},
    "export_queued": {"pl": "W kolejce: przed Tobą {n} {exports}.", "en": "Queued: {n} {exports} ahead of yours."},
    "export_exports": {"pl": "eksport|eksporty|eksportów", "en": "export|exports"},
    "export_busy": {"pl": "Serwer jest zajęty innymi eksportami: spróbuj ponownie za chwilę.",
                    "en": "The server is busy with other exports: try again in a moment."},
    "export_lost": {"pl": "Eksport się nie odbył (serwer jest zajęty albo eksport przerwano): spróbuj ponownie.",
                    "en": "The export did not happen (the server is busy or it was interrupted): try again."},
    "export_done": {"pl": "Gotowe: {name} ({size} kB, {sec} s).", "en": "Done: {name} ({size} kB, {sec} s)."},
    "export_alt": {"pl": "Tekst alternatywny (zapisz go razem z mapą)", "en": "Alt text (keep it with the map)"},
    "export_failed": {"pl": "Eksport nie powiódł się: {error}", "en": "The export failed: {error}"},
    "export_invalid": {"pl": "Nieprawidłowe ustawienia eksportu: {error}", "en": "Invalid export settings: {error}"},
    "export_title_control": {"pl": "Tytuł zawiera znaki sterujące – usuń je (np. wpisz tytuł na nowo).",
                             "en": "The title contains control characters – remove them (e.g. type the title again)."},
    "export_title_direction": {"pl": "Tytuł zawiera znak zmiany kierunku tekstu (np. U+202E), który odwraca lub "
                                     "ukrywa dalszy tekst – usuń go.",
                               "en": "The title contains a text-direction character (e.g. U+202E) that reverses or "
                                     "hides the text after it – remove it."},
    "export_no_link": {"pl": "Eksport nie zawiera linku do tego widoku: atlas nie ma ustawionego adresu publicznego.",
                       "en": "The export prints no link to this view: the atlas has no public address set."},
    "export_unknown_link": {"pl": "Nieznany link do widoku", "en": "unknown view link"},
    "export_links_down": {"pl": "Linki do widoków są chwilowo niedostępne – spróbuj za minutę",
                          "en": "view links are unavailable for a moment – try again in a minute"},
    # on the page
    "export_source": {"pl": "Źródło: Związek Miast Polskich; granice: PRG, GUGiK 2020",
                      "en": "Source: Association of Polish Cities (Związek Miast Polskich); boundaries: PRG, "
                            "GUGiK 2020"},
    # "CC\u00a0BY": the licence's name is never split at a line end
    "export_gazetteer_credit": {"pl": "punkty miast: PRNG (GUGiK), oprac. jjbartek/polskie-miejscowosci "
                                      "(CC\u00a0BY)",
                                "en": "town points: PRNG (GUGiK), via jjbartek/polskie-miejscowosci (CC\u00a0BY)"},
    # the public data lists part of the members (data/README.md): a printed count must not pass for the union's size
    "export_date_line": {"pl": "Stan danych: {date}{caveat} · wygenerowano {today}",
                         "en": "Data as of {date}{caveat} · generated {today}"},
    # the shipped member list is the union's public one, which is partial; an office's own register is not
    "export_public_caveat": {"pl": " (dane publiczne, lista członków niepełna)",
                             "en": " (public data, member list partial)"},
    # the map of every project: the members (also those without a project in the data) and every participant
    "export_title_membership": {"pl": "Związek Miast Polskich: członkostwo i udział w projektach",
                                "en": "Association of Polish Cities: membership and project participation"},
    "export_title_all": {"pl": "Związek Miast Polskich: członkowie i miasta w projektach",
                         "en": "Association of Polish Cities: members and project cities"},
    "export_title_named": {"pl": "{label}: miasta uczestniczące", "en": "{label}: participating cities"},
    "export_title_project": {"pl": "Projekt {label}: miasta uczestniczące", "en": "{label}: participating cities"},
    "export_title_projects": {"pl": "Projekty Związku Miast Polskich: {labels}",
                              "en": "Projects of the Association of Polish Cities: {labels}"},
    "export_quote": {"pl": "„{text}”", "en": "“{text}”"},
    "export_and": {"pl": " i ", "en": " and "},
    "export_asof": {"pl": "stan na {date}", "en": "as of {date}"},
    "asof_membership": {"pl": "stan członkostwa na {date}", "en": "membership as of {date}"},
    # after the number of cities: "9 miast w co najmniej jednym z projektów w województwach: …"
    "export_match_any": {"pl": "w co najmniej jednym z projektów", "en": "in at least one of the projects"},
    "export_match_all": {"pl": "we wszystkich wybranych projektach", "en": "in every chosen project"},
    # where: "w województwie lubelskim", "w województwach: lubelskim i podkarpackim" (locative, see
    # VOIVODESHIP_LOCATIVE), "in Lubelskie Voivodeship", "in the voivodeships of Lubelskie and Podkarpackie"
    "export_in_voivodeship": {"pl": "w województwie {name}", "en": "in {name} Voivodeship"},
    "export_in_voivodeships": {"pl": "w województwach: {names}", "en": "in the voivodeships of {names}"},
    "export_in_poland": {"pl": "w całej Polsce", "en": "across Poland"},
    "export_where": {"pl": "{cities} {where}", "en": "{cities} {where}"},
    "export_town_where": {"pl": "{town} {where}", "en": "{town} {where}"},
    "export_town_kind": {"pl": "gmina miejska|gmina wiejska|gmina miejsko-wiejska",
                         "en": "urban gmina|rural gmina|urban-rural gmina"},
    "town_outline": {"pl": "{town} – wybrane miasto", "en": "{town} – the chosen town"},
    # the found town's gmina drawn outlined only: the filters leave it out (a reader took the grey for "no data")
    "town_outline_outside": {"pl": "{town} – wybrane miasto, poza filtrami (bez koloru)",
                             "en": "{town} – the chosen town, outside the filters (not coloured)"},
    "export_not_counted": {"pl": "nie wliczono: {items}", "en": "not counted: {items}"},
    "export_counted_note": {"pl": "liczone są miasta uczestniczące w projekcie",
                            "en": "counted: cities taking part in the project"},
    "export_joined": {"pl": "rok przystąpienia {span}", "en": "joined {span}"},
    "export_or_unknown": {"pl": " lub nieznany", "en": " or unknown"},
    "export_known_year_only": {"pl": "tylko znany rok przystąpienia", "en": "known join year only"},
    "export_selection": {"pl": "zaznaczenie na mapie: {n}\u00a0{gminy}", "en": "map selection: {n}\u00a0{gminy}"},
    "export_gminy": {"pl": "gmina|gminy|gmin", "en": "gmina|gminy"},
    "export_cities": {"pl": "miasto|miasta|miast", "en": "city|cities"},
    # a count that holds other JST than towns (rural gminy, powiaty) is not a count of cities: "4 samorządy
    # (2 miasta, 1 gmina, 1 powiat)"
    "export_jst": {"pl": "samorząd|samorządy|samorządów", "en": "local government|local governments"},
    "export_participating_jst": {"pl": "samorząd uczestniczący|samorządy uczestniczące|samorządów uczestniczących",
                                 "en": "participating local government|participating local governments"},
    "export_powiaty": {"pl": "powiat|powiaty|powiatów", "en": "county|counties"},
    # a view dated before its projects' end: the date is the membership's, the projects keep their own years
    "export_colour_membership": {"pl": "kolor: członkostwo i udział w projektach",
                                 "en": "colour: membership and participation"},
    "export_participating": {"pl": "miasto uczestniczące|miasta uczestniczące|miast uczestniczących",
                             "en": "participating city|participating cities"},
    # short, as the press writes it: "najwięcej w dolnośląskim (39)"
    "export_most": {"pl": "najwięcej w {name} ({n})", "en": "most in {name} ({n})"},
    # the membership view's key figure: the members at its date, not every JST on the map (participants too)
    "export_members": {"pl": "członek ZMP w danych|członków ZMP w danych|członków ZMP w danych",
                       "en": "ZMP member in the data|ZMP members in the data"},
    # how many of the members at a date only a later source lists (their status then unknown): the export's key
    # figure and the strip
    "known_later": {"pl": "znany z późniejszego źródła|znanych z późniejszych źródeł|znanych z późniejszych źródeł",
                    "en": "known from a later source|known from later sources"},
    "members_later": {"pl": "w tym {n} {who}", "en": "incl. {n} {who}"},
    "export_no_match": {"pl": "żadne miasto nie spełnia filtrów", "en": "no city matches the filters"},
    # a project whose participants no public source lists: not "no city took part"
    "export_no_list": {"pl": "brak listy uczestników w danych|brak list uczestników w danych|brak list uczestników "
                             "w danych", "en": "no list of its participants in the data|no lists of their "
                                               "participants in the data"},
    # the alt text (dashboard/export/texts.py)
    "export_alt_head": {"pl": "Mapa gmin Polski (granice PRG 2020): {title}",
                        "en": "Map of Poland's gminy (municipalities; PRG 2020 boundaries): {title}"},
    "export_alt_scope": {"pl": "Zakres: {scope}", "en": "Scope: {scope}"},
    "export_alt_empty": {"pl": "Żadne miasto nie spełnia wybranych filtrów, więc wszystkie gminy są szare.",
                         "en": "No city matches the chosen filters, so every gmina is grey."},
    "export_alt_shown": {"pl": "Na mapie {verb} {cities} w {n_gminy} {gminy}.",
                         "en": "The map {verb} {cities} in {n_gminy} {gminy}."},
    "export_alt_verb": {"pl": "jest|są|jest", "en": "shows|shows"},   # PL agrees with the number, EN with "map"
    # a powiat has no gmina of its own on the map: counted, not drawn
    "export_off_map": {"pl": "powiat nie jest na mapie|powiaty nie są na mapie|powiatów nie ma na mapie",
                       "en": "county is not on the map|counties are not on the map"},
    "export_alt_in_gminy": {"pl": "gminie|gminach|gminach", "en": "gmina|gminy"},
    "export_alt_one_voivodeship": {"pl": "Leży {where}.|Wszystkie leżą {where}.|Wszystkie leżą {where}.",
                                   "en": "It is {where}.|All are {where}."},
    "export_alt_voivodeships": {"pl": "Najwięcej jest {where}.", "en": "Most are {where}."},
    # the names are of towns, rural gminy and powiaty alike
    "export_alt_labels": {"pl": "Na mapie podpisano: {names}.", "en": "Named on the map: {names}."},
    # the legend's own line after a colon: "wyróżnia {town}" needed the accusative ("wyróżnia Warszawa")
    "export_alt_town": {"pl": "Czerwony kontur: {label}.", "en": "Red outline: {label}."},
    "export_alt_legend": {"pl": "Legenda ({what}): {classes}; {rest}.", "en": "Legend ({what}): {classes}; {rest}."},
    "export_alt_rest": {"pl": "pozostała {n} gmina jest szara|pozostałe {n} gminy są szare|pozostałych {n} gmin jest "
                              "szarych", "en": "the other {n} gmina is grey|the other {n} gminy are grey"},
})


# Polish locative (miejscownik) of the 16 voivodeships' adjectives: "w województwie lubelskim",
# "w województwach: dolnośląskim i opolskim" (each adjective singular: each names one voivodeship).
VOIVODESHIP_LOCATIVE = {
    "dolnośląskie": "dolnośląskim", "kujawsko-pomorskie": "kujawsko-pomorskim", "lubelskie": "lubelskim",
    "lubuskie": "lubuskim", "łódzkie": "łódzkim", "małopolskie": "małopolskim", "mazowieckie": "mazowieckim",
    "opolskie": "opolskim", "podkarpackie": "podkarpackim", "podlaskie": "podlaskim", "pomorskie": "pomorskim",
    "śląskie": "śląskim", "świętokrzyskie": "świętokrzyskim", "warmińsko-mazurskie": "warmińsko-mazurskim",
    "wielkopolskie": "wielkopolskim", "zachodniopomorskie": "zachodniopomorskim",
}


_DATA_KINDS = {"gmina wiejska": "gmina_kind_rural", "gmina miejska": "gmina_kind_urban",
               "gmina miejsko-wiejska": "gmina_kind_urban_rural"}
_DATA_KIND = re.compile(r"^(.*?)\s*\((" + "|".join(_DATA_KINDS) + r")\)\s*$", re.IGNORECASE)


def said_kind(name: str, lang: str) -> tuple[str, str | None]:
    """(name, kind in `lang`) of a data name that says its gmina's kind ("Braniewo (gmina wiejska)" -> "Braniewo",
    "rural gmina"); (name, None) for any other."""
    found = _DATA_KIND.match(name)
    return (found.group(1), t(_DATA_KINDS[found.group(2).lower()], lang)) if found else (name, None)


def display_name(name: str, lang: str) -> str:
    """A data name that says its gmina's kind, in the page's language, wherever a name is shown (details, hover,
    table, downloads): "Braniewo (gmina wiejska)" -> "Braniewo (gm. wiejska)" / "Braniewo (rural gmina)"; any
    other name as it is."""
    base, kind = said_kind(name, lang)
    return f"{base} ({kind})" if kind else name


def voivodeship_name(name: str, lang: str) -> str:
    """A voivodeship's name as a label in `lang`: "lubelskie" (pl, an adjective, lower case) / "Lubelskie",
    "Kujawsko-Pomorskie" (en: the Polish name capitalised, as English-language sources write it)."""
    name = str(name)
    if lang == "pl":
        return name
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def voivodeship_word(name: str, lang: str) -> str:
    """A voivodeship's adjective as it stands after "w województwie" (pl: locative, "lubelskim") or in English
    ("in Lubelskie Voivodeship": its name)."""
    if lang == "pl":
        return VOIVODESHIP_LOCATIVE.get(str(name).lower(), str(name))
    return voivodeship_name(name, lang)


def join_words(items: list[str], lang: str) -> str:
    """'a', 'a i b', 'a, b i c' / 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (" i " if lang == "pl" else " and ") + items[-1]


def in_voivodeships(names: list[str], lang: str) -> str:
    """'w województwie lubelskim' / 'w województwach: lubelskim i podkarpackim' / 'w całej Polsce' (no names);
    'in Lubelskie Voivodeship' / 'in the voivodeships of Lubelskie and Podkarpackie' / 'across Poland'."""
    if not names:
        return t("export_in_poland", lang)
    words = [voivodeship_word(n, lang) for n in names]
    if len(words) == 1:
        return t("export_in_voivodeship", lang, name=words[0])
    return t("export_in_voivodeships", lang, names=join_words(words, lang))


def figure_label(label: str, unit: str) -> str:
    """A key figure's label without the "(ponad)"/"(over)" its value already says ("ponad 150")."""
    if unit == "count_at_least":
        import re

        return re.sub(r"\s*\((ponad|over|more than|at least|co najmniej)\)\s*$", "", str(label), flags=re.I)
    return str(label)


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



_PRESS_RELEASE = re.compile(r"^ZMP press release '(?P<title>[^']+)' \((?P<site>[^,()]+), (?P<month>[A-Z][a-z]{2}) "
                            r"(?P<year>\d{4})\)$")
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def cited_source(text: Any, lang: str = DEFAULT_LANG) -> str:
    """A data row's source as the page cites it. The union's files name their sources in English; a press release
    of the union ("ZMP press release '…' (miasta.pl, Dec 2020)") is cited in Polish on the Polish page; any other
    source as written."""
    m = _PRESS_RELEASE.match(str(text).strip())
    if lang != "pl" or not m or m["month"] not in _MONTHS:
        return str(text)
    return f"komunikat prasowy ZMP „{m['title']}” ({m['site']}, {_MONTHS.index(m['month']) + 1:02d}.{m['year']})"
