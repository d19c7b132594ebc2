import type { Destination } from "../destinations.ts";
import type { ClaimedDelivery } from "../store/delivery_queue.ts";
import { VERSION } from "../version.ts";
import type { OutboundRequest } from "./http_transport.ts";
import { formatSlackMessage } from "./slack_message.ts";
import { signatureHeaders } from "./standard_webhooks.ts";

/**
 * Builds the request for one attempt. `http` destinations get the stored
 * event bytes unchanged with Standard Webhooks headers; `slack` gets a
 * readable message. Returns undefined when Slack has no message for the type
 * (audio).
 */
export function buildOutboundRequest(
  destination: Destination,
  delivery: ClaimedDelivery,
  nowMs: number,
): OutboundRequest | undefined {
  const common = {
    "content-type": "application/json",
    "user-agent": `asknewton-webhooks/${VERSION}`,
  };

  if (destination.kind === "slack") {
    const message = formatSlackMessage({
      type: delivery.eventType,
      body: JSON.parse(delivery.body),
      eventId: delivery.eventId,
    });
    if (!message) return undefined;
    return {
      url: destination.url,
      headers: { ...common, ...destination.headers },
      body: JSON.stringify(message),
    };
  }

  return {
    url: destination.url,
    headers: {
      ...common,
      ...destination.headers,
      ...signatureHeaders({
        deliveryId: delivery.id,
        timestampSeconds: Math.floor(nowMs / 1000),
        body: delivery.body,
        secret: destination.secret,
      }),
    },
    body: delivery.body,
  };
}
