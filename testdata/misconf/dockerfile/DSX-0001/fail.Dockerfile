FROM debian:12
RUN curl -fsSL https://example.com/install.sh | sh
RUN wget -qO- https://example.com/install.sh | sudo -E bash -
RUN bash -c "$(curl -fsSL https://example.com/install.sh)"
RUN ["sh", "-c", "curl -sSL https://example.com/get | sh -s -- --yes"]
run set -e; \
    curl -fsSL https://example.com/setup \
      | bash
RUN bash <(curl -fsSL https://example.com/install.sh)
