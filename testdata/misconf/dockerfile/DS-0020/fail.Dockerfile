FROM opensuse/leap:15.6
RUN zypper install -y curl
RUN zypper patch bash
RUN zypper cc && zypper remove -y bash
RUN zypper --non-interactive install git && zypper clean && zypper rm vim
