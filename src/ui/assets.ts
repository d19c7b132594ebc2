import { Hono } from "hono";
import { ADMIN_CSS } from "./admin_css.ts";
import { ADMIN_SCRIPT } from "./admin_script.ts";

/** An asset served from memory. */
interface Asset {
  body: string;
  contentType: string;
}

const ASSETS: Record<string, Asset> = {
  "admin.css": { body: ADMIN_CSS, contentType: "text/css; charset=utf-8" },
  "admin.js": {
    body: ADMIN_SCRIPT,
    contentType: "text/javascript; charset=utf-8",
  },
};

/** FNV-1a over UTF-16 code units, as a short hex fingerprint. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/**
 * URL of an embedded asset. The fingerprint in the query string changes with
 * the content, so browsers may cache each URL for good.
 */
export function assetUrl(name: keyof typeof ASSETS): string {
  return `/admin/assets/${name}?v=${fingerprint(ASSETS[name].body)}`;
}

/**
 * `GET /admin/assets/:name`: the style sheet and script of the admin pages.
 * Mount it before the admin guard, because the sign-in page needs them.
 */
export function assetRoutes(): Hono {
  const routes = new Hono();
  routes.get("/admin/assets/:name", (c) => {
    const name = c.req.param("name");
    if (!Object.hasOwn(ASSETS, name)) {
      return c.json({
        ok: false,
        error: `asset ${JSON.stringify(name)} not found`,
      }, 404);
    }
    const asset = ASSETS[name];
    return c.body(asset.body, 200, {
      "Content-Type": asset.contentType,
      "Cache-Control": "public, max-age=31536000, immutable",
      "X-Content-Type-Options": "nosniff",
    });
  });
  return routes;
}
