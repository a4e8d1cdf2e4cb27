// The process-wide signal that some task finished, which every wait blocks on.
#pragma once

#include <string>

namespace tern::internal {

// Wakes every WaitUntil() in this process to re-check its condition.
void NotifyTaskFinished();

// "auto", "always" or "never": whether WaitUntil draws a progress bar.
void SetProgressMode(const std::string& mode);

}  // namespace tern::internal
