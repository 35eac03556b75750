/**
 * The two demo publishers. Each is its own merchant with its own origin: the news site on
 * 127.0.0.1, the second site on `localhost`, a different host name and so a different origin
 * and cookie jar in the browser. Prices are micro-units of USD (docs/protocol.md §1).
 */

export interface Article {
  id: string;
  title: string;
  byline: string;
  price: string;
  /** Shown to everyone, inside the protected block. */
  teaser: string;
  /** Sold: the paragraphs that replace the teaser once paid. */
  body: string[];
}

export interface ApiRoute {
  id: string;
  title: string;
  path: string;
  price: string;
}

export interface Site {
  merchant: string;
  name: string;
  tagline: string;
  /** The host name readers use; the servers listen on 127.0.0.1 either way. */
  hostname: "127.0.0.1" | "localhost";
  defaultPort: number;
  accent: string;
  articles: Article[];
  pass?: { id: string; title: string; scope: string; durationSeconds: number; price: string };
  api?: ApiRoute;
}

export const news: Site = {
  merchant: "daily-planet",
  name: "The Daily Planet",
  tagline: "Local news, paid by the article",
  hostname: "127.0.0.1",
  defaultPort: 4101,
  accent: "#9f1d20",
  pass: {
    id: "day-pass",
    title: "24-hour pass",
    scope: "daily-planet-all",
    durationSeconds: 86_400,
    price: "1000000",
  },
  articles: [
    {
      id: "moon-landing",
      title: "A second look at the first landing",
      byline: "Lois Park, science desk",
      price: "250000",
      teaser: "Fifty-odd years on, the flight logs still hold a few surprises for the engineers.",
      body: [
        "The descent stage carried less fuel margin than most histories admit: about forty seconds.",
        "Retired controllers walked us through the alarms that nearly ended the approach, and why a young guidance officer chose to call it go.",
        "Their advice to today's landers is short: rehearse the failures, not the success.",
      ],
    },
    {
      id: "harbour-bridge",
      title: "The harbour bridge reopens, six weeks late",
      byline: "Ravi Osei, city desk",
      price: "200000",
      teaser: "Commuters cheered on Monday, but the repair bill tells a longer story.",
      body: [
        "Inspectors found corrosion under the deck plates that the original survey had missed.",
        "The council says the overrun will be covered by the maintenance reserve, not by new fares.",
        "A second inspection is due in the spring, this time with the deck plates lifted.",
      ],
    },
    {
      id: "night-market",
      title: "Inside the night market's busiest stall",
      byline: "Mei Tan, food",
      price: "150000",
      teaser: "One wok, two cooks and four hundred bowls of noodles between dusk and midnight.",
      body: [
        "The stall's owners start the broth at dawn and never let the stock pot go cold.",
        "Their secret, they say, is not the recipe but the rhythm: one bowl every forty seconds.",
      ],
    },
    {
      id: "chess-prodigy",
      title: "The eleven-year-old who beat the club champion",
      byline: "Jonas Weber, sport",
      price: "300000",
      teaser: "She learned the game from library books and a phone with a cracked screen.",
      body: [
        "Her coach noticed her in the park, playing three adults at once and winning two.",
        "The club has since waived her fees and lent her a laptop for online tournaments.",
        "Her next target is the regional junior title, in March.",
      ],
    },
    {
      id: "last-tram",
      title: "Why the last tram leaves at 23:52",
      byline: "Ida Brandt, transport",
      price: "100000",
      teaser: "Eight minutes before midnight is not an accident; it is a union contract from 1961.",
      body: [
        "The drivers' agreement fixed the end of the late shift, and the timetable was built backwards from it.",
        "Every attempt to run a midnight tram since has foundered on the same clause.",
      ],
    },
  ],
};

export const second: Site = {
  merchant: "field-notes",
  name: "Field Notes",
  tagline: "Nature writing and a quote API, paid per use",
  hostname: "localhost",
  defaultPort: 4102,
  accent: "#1f6f43",
  api: { id: "quote", title: "One quote of the day", path: "/api/quote", price: "10000" },
  articles: [
    {
      id: "tide-pools",
      title: "What lives in a tide pool at low water",
      byline: "Ana Ruiz",
      price: "100000",
      teaser: "Turn a stone at the right hour and a whole city runs for cover.",
      body: [
        "Periwinkles graze the rock film; shore crabs patrol the cracks for anything slower.",
        "Put every stone back the way you found it: the underside is someone's roof.",
      ],
    },
    {
      id: "urban-foxes",
      title: "The foxes that learned the bus timetable",
      byline: "Tom Ellery",
      price: "200000",
      teaser: "They cross the ring road at the same minute every night. It is not chance.",
      body: [
        "Trail cameras show the family waiting at the verge until the last bus has passed.",
        "Biologists think the cubs learn the gap from their mother, one crossing at a time.",
      ],
    },
    {
      id: "swift-year",
      title: "Ten months on the wing: a year with the common swift",
      byline: "Ana Ruiz",
      price: "400000",
      teaser: "It eats, drinks and sleeps in flight, and lands only to nest.",
      body: [
        "Loggers fitted to a dozen birds show some stayed airborne from August to May.",
        "They sleep in short glides at dusk, high above the clouds, a few seconds at a time.",
      ],
    },
  ],
};

export const sites = [news, second];

/** The quotes the paid API route hands out, one per call. */
export const quotes = [
  "The clearest way into the Universe is through a forest wilderness. — John Muir",
  "Look deep into nature, and then you will understand everything better. — Albert Einstein",
  "In every walk with nature one receives far more than he seeks. — John Muir",
];
