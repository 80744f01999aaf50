/**
 * The IPv4 routing table: connected routes (one per interface address), static routes and a
 * default route. Lookup is longest-prefix match, then lowest metric, then the oldest route.
 */
import { numberToIPv4, prefixMask } from "./address.js";

/** Where a route came from. */
export type RouteKind = "connected" | "static" | "default";

/** A route, numbers inside the stack. */
export interface Route {
  readonly destination: number;
  readonly prefixLength: number;
  /** The next hop; undefined for a connected route (the destination is on the link). */
  readonly gateway: number | undefined;
  /** The source address preferred for datagrams on this route, if any. */
  readonly source: number | undefined;
  readonly metric: number;
  readonly kind: RouteKind;
}

/** A route as `Stack.routes()` lists it. */
export interface RouteEntry {
  /** `10.0.0.0/24`, `0.0.0.0/0`. */
  readonly destination: string;
  readonly gateway: string | undefined;
  readonly source: string | undefined;
  readonly metric: number;
  readonly kind: RouteKind;
}

/** Routes kept at most (a guard, not a tuning knob). */
export const MAX_ROUTES = 4096;

/** A routing table. */
export class RouteTable {
  private readonly routes: Route[] = [];

  /** Add a route (its destination is masked to its prefix); false when the table is full or it exists. */
  add(route: Route): boolean {
    const destination = (route.destination & prefixMask(route.prefixLength)) >>> 0;
    if (this.routes.length >= MAX_ROUTES) return false;
    if (this.routes.some((r) => r.destination === destination && r.prefixLength === route.prefixLength && r.gateway === route.gateway)) return false;
    this.routes.push({ ...route, destination });
    return true;
  }

  /** Remove the routes matching `test`; return how many went. */
  remove(test: (r: Route) => boolean): number {
    let n = 0;
    for (let i = this.routes.length - 1; i >= 0; i--) {
      if (test(this.routes[i]!)) { this.routes.splice(i, 1); n++; }
    }
    return n;
  }

  /** Return the best route to `dst`, if any. */
  lookup(dst: number): Route | undefined {
    let best: Route | undefined;
    for (const r of this.routes) {
      if (((dst & prefixMask(r.prefixLength)) >>> 0) !== r.destination) continue;
      if (best === undefined || r.prefixLength > best.prefixLength || (r.prefixLength === best.prefixLength && r.metric < best.metric)) best = r;
    }
    return best;
  }

  /** Return every route, as text. */
  list(): RouteEntry[] {
    return this.routes.map((r) => ({
      destination: `${numberToIPv4(r.destination)}/${r.prefixLength}`,
      gateway: r.gateway === undefined ? undefined : numberToIPv4(r.gateway),
      source: r.source === undefined ? undefined : numberToIPv4(r.source),
      metric: r.metric,
      kind: r.kind,
    }));
  }
}
