// What every HTTP client of moebench shares (loadgen, the API backends): splitting a base URL into
// the part cpp-httplib connects to and the path prefix, and cutting a server-sent-event stream
// into the payloads of its `data:` lines.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace moebench {

// Splits "http://host:port/v1" into "http://host:port" and "/v1" (no trailing slash). `field`
// names the option or file field in the InputError thrown for anything else.
void http_split_url(const std::string& url, const std::string& field, std::string* scheme_host_port,
                    std::string* path_prefix);

// Cuts a server-sent-event byte stream, fed in arbitrary pieces, into the payloads of its
// `data:` lines (one per event; `event:` lines, comments and blank separators are skipped).
class SseSplitter {
 public:
  void feed(std::string_view bytes, const std::function<void(const std::string&)>& on_data);
  // Bytes of an unfinished line are waiting: a stream that ends here was cut mid-event.
  bool pending() const { return !buffer_.empty(); }

 private:
  std::string buffer_;
};

}  // namespace moebench
