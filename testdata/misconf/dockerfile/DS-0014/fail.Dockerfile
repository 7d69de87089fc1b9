FROM debian:12 AS fetch
RUN wget -q https://example.com/a.tgz
FROM debian:12
RUN curl -fsSLo b.tgz https://example.com/b.tgz
RUN ["wget", "https://example.com/c"]
