// The pages share one navigation, written for the demo that serves them all.
// A server that runs one example (or the Worker, which serves only the
// notifications) keeps only the links it answers: no link to a 404, none to
// a page that redirects back.

/** `html` with its `<nav>` holding only the links whose path is in `served`. */
export function navLinks(html: string, served: readonly string[]): string {
  return html.replace(
    /<nav>([\s\S]*?)<\/nav>/,
    (_, links: string) =>
      `<nav>${links.replace(/<a href="([^"]*)"[^>]*>[^<]*<\/a>/g, (link, href: string) =>
        served.includes(href) ? link : '',
      )}</nav>`,
  );
}
