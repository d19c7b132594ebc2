import { Hono } from "hono";
import { loadEventAudio } from "../store/audio.ts";
import type { AppContext } from "./app_context.ts";
import { jsonError } from "./responses.ts";

/**
 * `GET /events/:id/audio`: the call recording of a `post_call_audio` event
 * as an MP3 download. Mount behind the admin guard.
 */
export function audioRoutes(app: AppContext): Hono {
  const routes = new Hono();

  routes.get("/:id/audio", (c) => {
    const audio = loadEventAudio(app.database, c.req.param("id"));
    if (!audio) return jsonError(c, 404, "event not found");
    if (!audio.mp3) {
      const reason = audio.redacted
        ? "event audio was removed by redaction (REDACT_AFTER_DAYS)"
        : "event has no audio: only post_call_audio events carry a recording";
      return jsonError(c, 404, reason);
    }

    const name = downloadName(audio.conversationId ?? c.req.param("id"));
    return new Response(audio.mp3 as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": "audio/mpeg",
        "content-length": String(audio.mp3.byteLength),
        "content-disposition": `attachment; filename="${name}.mp3"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  });

  return routes;
}

/**
 * Keeps a file name to characters that need no quoting in a header, so a
 * conversation id sent by the caller's side cannot inject header syntax.
 */
function downloadName(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 200);
}
