/** One JSON line per event. Callers pass ids and counts only, never credentials or signatures. */
export type Logger = (event: string, fields?: Record<string, unknown>) => void;

export function createLogger(quiet: boolean): Logger {
  if (quiet) return () => {};
  return (event, fields = {}) => {
    console.log(JSON.stringify({ service: "messaging-sandbox", event, at: new Date().toISOString(), ...fields }));
  };
}
