/**
 * The IPv6 routing table of a host (RFC 4861 5.2 conceptual structures in one table): on-link
 * prefixes (`connected`: from addresses and router advertisements' prefix information),
 * more-specific routes (`static` from the caller, `router` from RFC 4191 route information
 * options) and default routers (`default`, from router lifetimes). Entries learned from routers
 * carry an expiry, checked when the table is read (no timer per entry). Lookup is longest prefix,
 * then RFC 4191 preference, then metric, then age; default routers are chosen by `Ipv6`.
 */
import { commonPrefixLength, prefixOf } from "./address6.js";
import type { RouteEntry } from "./route.js";

/** Where an IPv6 route came from. */
export type Route6Kind = "connected" | "static" | "default" | "router";

/** An IPv6 route. */
export interface Route6 {
  readonly destination: string;
  readonly prefixLength: number;
  /** The next hop (a link-local router address, normally); undefined for on-link prefixes. */
  readonly gateway: string | undefined;
  readonly source: string | undefined;
  readonly metric: number;
  readonly kind: Route6Kind;
  /** Clock time the route goes away (Infinity: never). */
  readonly expires: number;
  /** RFC 4191 preference: 1 high, 0 medium, -1 low. */
  readonly preference: number;
}

/** Routes kept at most. */
export const MAX_ROUTES6 = 4096;

/** The IPv6 routing table. */
export class RouteTable6 {
  private readonly routes: Route6[] = [];

  /** Add a route, or replace the one with the same destination, length, gateway and kind; false when full. */
  set(route: Route6): boolean {
    const destination = prefixOf(route.destination, route.prefixLength);
    const r = { ...route, destination };
    const i = this.routes.findIndex((x) => x.destination === destination && x.prefixLength === r.prefixLength && x.gateway === r.gateway && x.kind === r.kind);
    if (i >= 0) { this.routes[i] = r; return true; }
    if (this.routes.length >= MAX_ROUTES6) return false;
    this.routes.push(r);
    return true;
  }

  /** Remove the routes matching `test`; return how many went. */
  remove(test: (r: Route6) => boolean): number {
    let n = 0;
    for (let i = this.routes.length - 1; i >= 0; i--) {
      if (test(this.routes[i]!)) { this.routes.splice(i, 1); n++; }
    }
    return n;
  }

  /** Drop expired routes. */
  expire(now: number): void {
    this.remove((r) => r.expires <= now);
  }

  /** Return the best route to `dst` that is not a default router (longest prefix first). */
  lookup(dst: string, now: number): Route6 | undefined {
    this.expire(now);
    let best: Route6 | undefined;
    for (const r of this.routes) {
      if (r.kind === "default" || commonPrefixLength(r.destination, dst) < r.prefixLength) continue;
      if (best === undefined || r.prefixLength > best.prefixLength
        || (r.prefixLength === best.prefixLength && (r.preference > best.preference || (r.preference === best.preference && r.metric < best.metric)))) best = r;
    }
    return best;
  }

  /** Return the default routers, highest preference first. */
  defaultRouters(now: number): Route6[] {
    this.expire(now);
    return this.routes.filter((r) => r.kind === "default").sort((a, b) => b.preference - a.preference);
  }

  /** Return the routes (live ones) as raw entries. */
  all(now: number): readonly Route6[] {
    this.expire(now);
    return this.routes;
  }

  /** Return every route as `Stack.routes()` lists it. */
  list(now: number): RouteEntry[] {
    this.expire(now);
    return this.routes.map((r) => ({
      destination: `${r.destination}/${r.prefixLength}`,
      gateway: r.gateway,
      source: r.source,
      metric: r.metric,
      kind: r.kind === "router" ? "static" : r.kind,
    }));
  }
}
