/** Splits a text stream into lines, dropping the line breaks. */
export class TextLineStream extends TransformStream<string, string> {
  constructor() {
    let buffered = "";
    super({
      transform(chunk, controller) {
        buffered += chunk;
        const lines = buffered.split(/\r?\n/);
        buffered = lines.pop() ?? "";
        for (const line of lines) controller.enqueue(line);
      },
      flush(controller) {
        if (buffered) controller.enqueue(buffered);
      },
    });
  }
}
