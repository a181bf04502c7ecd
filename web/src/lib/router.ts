// SPDX-License-Identifier: Apache-2.0
import { useEffect, useState } from 'react';

/// Two screens, so a tiny history-API router: "/" lists projects, "/p/<id>" is the studio. The hub
/// serves index.html for any extension-less path, so deep links and refreshes work.

export type Route = { name: 'projects' } | { name: 'studio'; project_id: string };

export function parse_route(pathname: string): Route {
  const match = /^\/p\/([^/]+)\/?$/.exec(pathname);
  if (match?.[1]) return { name: 'studio', project_id: decodeURIComponent(match[1]) };
  return { name: 'projects' };
}

export function route_path(route: Route): string {
  return route.name === 'studio' ? `/p/${encodeURIComponent(route.project_id)}` : '/';
}

const listeners = new Set<() => void>();

export function navigate(route: Route): void {
  const path = route_path(route);
  if (window.location.pathname !== path) window.history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

export function use_route(): Route {
  const [route, set_route] = useState(() => parse_route(window.location.pathname));
  useEffect(() => {
    const update = () => set_route(parse_route(window.location.pathname));
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}
