// SIGINT handling: the first Ctrl-C asks the run to stop after the requests in flight (their
// responses are cached, so the same command resumes); a second one exits at once.
#pragma once

namespace moebench {

void interrupt_install();
bool interrupt_requested();
void interrupt_reset();  // tests

}  // namespace moebench
