/**
 * The large audio event of the benchmark: a fresh server in its own
 * process, one post-call audio event sent chunked as ElevenLabs sends it,
 * and the server's peak memory once the event was delivered.
 */
import { type IngestSettings, ROUTE } from "./bench_ingest.ts";
import { waitForArrivals, writeDestinations } from "./bench_product.ts";
import { readMemory, spawnProduct } from "./product_process.ts";
import { spawnRecordingDestination } from "./recording_destination.ts";
import { audioEvent, chunked, signedHeaders } from "./signed_events.ts";

/** Measurements of one large audio event. */
export interface AudioMeasures {
  bytes: number;
  status: number;
  timeTo200Ms: number;
  idleRssBytes: number;
  /** `VmHWM` once the event was stored and delivered. */
  peakRssBytes: number;
}

/** Stores and delivers one audio event of `settings.audioBytes`. */
export async function measureAudio(
  settings: IngestSettings,
): Promise<AudioMeasures> {
  const event = await audioEvent(
    settings.audioBytes,
    `bench-audio-${Date.now()}`,
    settings.secret,
  );
  const destination = await spawnRecordingDestination();
  const destinationsFile = `${settings.folder}/destinations_audio.json`;
  await writeDestinations(destinationsFile, destination.url);
  const product = await spawnProduct({
    denoFlags: settings.productDenoFlags,
    environment: {
      DB_PATH: `${settings.folder}/product_audio.db`,
      ELEVEN_END_SECRET: settings.secret,
      DESTINATIONS_FILE: destinationsFile,
    },
  });

  try {
    const idle = await readMemory(product.pid);
    const started = performance.now();
    const response = await fetch(`${product.url}${ROUTE}`, {
      method: "POST",
      headers: signedHeaders(event),
      body: chunked(event.body, 64 * 1024),
    });
    await response.arrayBuffer();
    const timeTo200Ms = performance.now() - started;

    await waitForArrivals(destination, 1);
    const peak = await readMemory(product.pid);
    return {
      bytes: event.body.length,
      status: response.status,
      timeTo200Ms,
      idleRssBytes: idle.rssBytes,
      peakRssBytes: peak.peakRssBytes,
    };
  } finally {
    await product.stop();
    await destination.stop();
  }
}
