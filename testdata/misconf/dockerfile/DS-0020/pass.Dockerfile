FROM opensuse/leap:15.6
RUN zypper install -y curl && zypper clean
RUN zypper install bash && zypper clean && zypper remove bash && zypper cc
RUN zypper --non-interactive in -y git && zypper clean --all
RUN echo "zypper install x"
