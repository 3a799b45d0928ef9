/** One JSON line per event. Callers pass ids and counts only, never tokens, codes or secrets. */
export type Logger = (event: string, fields?: Record<string, unknown>) => void;

export function createLogger(quiet: boolean): Logger {
  if (quiet) return () => {};
  return (event, fields = {}) => {
    console.log(
      JSON.stringify({ service: "jobber-sandbox", event, at: new Date().toISOString(), ...fields }),
    );
  };
}
