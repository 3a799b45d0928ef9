// Every minute, and whenever a review message falls due within a minute (the decision trigger,
// an approval or a settings change wakes it, coalesced): send the due review messages and wait for
// those falling due within the minute, in the background under one lease (see
// _shared/reviews/send.ts). The invocation answers at once.
import { z } from "zod";
import type { Runtime } from "../../_shared/runtime.ts";
import type { Logger } from "../../_shared/log.ts";
import { runInBackground } from "../../_shared/background.ts";
import type { TaskResult, WorkerTask } from "../../_shared/worker/task.ts";
import { sendReviewMessages } from "../../_shared/reviews/send.ts";

const input = z.object({});

function run(rt: Runtime, log: Logger): Promise<TaskResult> {
  const work = sendReviewMessages(rt, log).then((stats) => log.info("review_messages_sent", { ...stats }));
  runInBackground(work, log, "send_review_messages");
  return Promise.resolve({ started: true });
}

export const sendReviewMessagesTask = { name: "send_review_messages", input, run } as const satisfies WorkerTask;
