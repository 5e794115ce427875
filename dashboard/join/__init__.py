"""Place each city/JST on a gmina (or powiat) polygon: by TERYT, then name + voivodeship + type, then point."""
