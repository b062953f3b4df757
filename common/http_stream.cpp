// http_split_url and the SSE splitter.
#include "common/http_stream.h"

#include "common/error.h"

namespace moebench {

void http_split_url(const std::string& url, const std::string& field, std::string* scheme_host_port,
                    std::string* path_prefix) {
  const size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https")
    throw InputError(field + " '" + url + "': expected http[s]://host[:port][/path]");
  const size_t path_at = url.find('/', scheme_end + 3);
  *scheme_host_port = url.substr(0, path_at);
  if (scheme_host_port->size() <= scheme_end + 3)
    throw InputError(field + " '" + url + "': no host");
  *path_prefix = path_at == std::string::npos ? "" : url.substr(path_at);
  while (!path_prefix->empty() && path_prefix->back() == '/') path_prefix->pop_back();
}

void SseSplitter::feed(std::string_view bytes,
                       const std::function<void(const std::string&)>& on_data) {
  buffer_.append(bytes);
  size_t start = 0;
  for (size_t nl; (nl = buffer_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(buffer_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 5) != "data:") continue;  // blank separators, comments, event: fields
    line.remove_prefix(5);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    on_data(std::string(line));
  }
  buffer_.erase(0, start);
}

}  // namespace moebench
