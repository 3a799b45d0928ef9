/**
 * Ends a sentence with a full stop unless it already ends with one. Sentences here often end with
 * a name someone typed, and names such as "Sparkle Cleaning Co." or "Acme Inc." bring their own.
 */
export function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}
