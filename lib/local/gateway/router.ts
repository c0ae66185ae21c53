/**
 * Routing with the route table the CDK stack builds the API from: resources (route templates)
 * with their methods, and the resource a request path falls on, as API Gateway picks it.
 */
import { ROUTES, type RouteName } from '../../../lambdas/api/routes.ts';

/** A route template, e.g. `/api/jobs/{id}`, with the methods defined on it. */
export interface Resource {
  readonly path: string;
  readonly segments: readonly ({ readonly literal: string } | { readonly param: string })[];
  readonly methods: ReadonlyMap<string, RouteName>;
}

export interface Match {
  readonly resource: Resource;
  readonly pathParameters: Record<string, string> | null;
}

export function buildResources(): Resource[] {
  const byPath = new Map<string, Map<string, RouteName>>();
  for (const route of ROUTES) {
    const methods = byPath.get(route.path) ?? new Map<string, RouteName>();
    methods.set(route.method, route.name);
    byPath.set(route.path, methods);
  }
  return [...byPath].map(([path, methods]) => ({
    path,
    methods,
    segments: path
      .split('/')
      .slice(1)
      .map((part) => {
        const param = /^\{(\w+)\}$/.exec(part)?.[1];
        return param ? { param } : { literal: part };
      }),
  }));
}

/**
 * The resource for a path; a literal segment wins over a parameter, as in API Gateway. One
 * trailing slash is ignored; empty segments match nothing.
 */
export function matchResource(resources: readonly Resource[], path: string): Match | undefined {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const parts = trimmed.split('/').slice(1).map(decodeSegment);
  let best: { match: Match; score: string } | undefined;
  for (const resource of resources) {
    if (resource.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let score = '';
    let matches = true;
    for (const [index, segment] of resource.segments.entries()) {
      const part = parts[index]!;
      if (part === '') {
        matches = false;
      } else if ('literal' in segment) {
        matches = part === segment.literal;
        score += '1';
      } else {
        params[segment.param] = part;
        score += '0';
      }
      if (!matches) break;
    }
    if (!matches) continue;
    if (!best || score > best.score) {
      best = { score, match: { resource, pathParameters: Object.keys(params).length > 0 ? params : null } };
    }
  }
  return best?.match;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The path and the query of a request target; no path for a target that is not one (`*`). */
export function splitUrl(url: string): { path: string | undefined; query: string } {
  let target = url;
  if (!target.startsWith('/')) {
    // absolute-form (`GET http://host/path`) or `*`
    try {
      const parsed = new URL(target);
      target = `${parsed.pathname}${parsed.search}`;
    } catch {
      return { path: undefined, query: '' };
    }
  }
  const at = target.indexOf('?');
  return at < 0 ? { path: target, query: '' } : { path: target.slice(0, at), query: target.slice(at + 1) };
}
