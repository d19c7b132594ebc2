/** The release version, reported by `/version`, `--version` and metrics. */
export const VERSION = "0.1.0";
