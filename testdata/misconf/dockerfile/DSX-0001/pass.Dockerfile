FROM debian:12
RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh && echo "abc  /tmp/install.sh" | sha256sum -c - && sh /tmp/install.sh
RUN curl -fsSL https://example.com/data.json | python3 -c "import json,sys; print(json.load(sys.stdin))"
RUN echo "curl https://example.com | sh is a bad idea"
RUN curl -fsSL https://example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/example.gpg
RUN curl -fsSL https://example.com/x | bash -c 'cat > /tmp/x'
